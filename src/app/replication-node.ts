import type { Config } from '../platform/config/config.js';
import type { Logger } from '../platform/log/log.js';
import {
  PlatformNode,
  startStandbyOn,
  type NodePorts,
  type RunningStandby,
  type StandbyState,
} from '../modules/replication/index.js';
import { embeddedSettings, startEmbedded } from './database.js';
import { startPlatform } from './run.js';

/** What a node of the embedded platform starts: this home's PostgreSQL and, as the primary, the whole platform on it. */
export function nodePorts(config: Config, log: Logger): NodePorts {
  return {
    startDatabase: () => startEmbedded(config, log),
    startPlatform: (database) =>
      startPlatform(config, log, { http: true, worker: true, ownDatabase: true }, { database }),
    serverSettings: (dataDir, tls, wait) => embeddedSettings(config, dataDir, undefined, tls, wait),
  };
}

/** `steadfast up` on the embedded platform: one node, primary, standby or fenced. */
export const createPlatformNode = (config: Config, log: Logger): PlatformNode =>
  new PlatformNode(config, log, nodePorts(config, log));

/** This home's PostgreSQL started and running as a standby of `standby.primary` (the node does this itself; for tests and benchmarks). */
export async function startStandby(config: Config, log: Logger, standby: StandbyState): Promise<RunningStandby> {
  return startStandbyOn(await startEmbedded(config, log), config, log, standby);
}
