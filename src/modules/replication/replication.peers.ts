import type { Config } from '../../platform/config/config.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { askNode } from './replication.control.client.js';
import type { NodeReport } from './replication.control.schema.js';
import type { StandbyState } from './replication.state.js';

/** The default port of a node's control API (nodeControlPort). */
export const defaultControlPort = 7433;

/** A `host` or `host:port` entry of clusterNodes as an address (IPv6 in brackets). */
export function parseNodeAddress(entry: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry);
  if (!match) throw appError('CONFIG_INVALID', `clusterNodes entry "${entry}" is not a host or host:port.`);
  return { host: match[1] ?? match[2]!, port: match[3] ? Number(match[3]) : defaultControlPort };
}

/** The control API addresses of the other nodes: clusterNodes, and a standby's primary (at the default port unless clusterNodes names it). */
export function peerControlAddresses(config: Config, standby?: StandbyState): Array<{ host: string; port: number }> {
  const peers = config.clusterNodes.map(parseNodeAddress);
  if (standby && !peers.some((peer) => peer.host === standby.primary.host))
    peers.push({ host: standby.primary.host, port: defaultControlPort });
  return peers;
}

/** The control address of the node whose PostgreSQL is at `host`. */
export function controlAddressOf(config: Config, host: string): { host: string; port: number } {
  return (
    config.clusterNodes.map(parseNodeAddress).find((peer) => peer.host === host) ?? { host, port: defaultControlPort }
  );
}

export interface PeerPrimary {
  readonly name: string;
  readonly host: string;
  readonly postgresPort: number;
  readonly controlPort: number;
  readonly timeline: number;
}

/**
 * A peer that is a primary of this cluster on a later timeline than `own`: it was promoted
 * after this node last ran as primary, so this node must follow it, not compete with it.
 * Peers that do not answer are skipped (and logged): they cannot say a failover happened.
 */
export async function findNewerPrimary(
  config: Config,
  tls: TlsFiles,
  own: { systemIdentifier: string; timeline: number },
  log: Logger,
): Promise<PeerPrimary | undefined> {
  for (const answer of await askPeers(config, tls, log)) {
    const report = answer?.report;
    if (
      !answer ||
      !report ||
      report.role !== 'primary' ||
      report.timeline === undefined ||
      report.postgresPort === undefined
    )
      continue;
    if (report.systemIdentifier !== own.systemIdentifier) {
      log.warn(
        { peer: answer.address, systemIdentifier: report.systemIdentifier },
        'a peer in clusterNodes is a primary of another cluster; check clusterNodes',
      );
      continue;
    }
    if (report.timeline > own.timeline)
      return {
        name: report.name,
        host: answer.address.host,
        postgresPort: report.postgresPort,
        controlPort: answer.address.port,
        timeline: report.timeline,
      };
  }
  return undefined;
}

/** This node's own control API as a command on this machine reaches it (an address listening on all of them is reached at loopback). */
export function controlAddressHere(config: Config): { host: string; port: number } {
  const host = controlHost(config);
  return { host: host === '0.0.0.0' ? '127.0.0.1' : host, port: config.nodeControlPort };
}

/** Where the control API listens: nodeControlHost, else the first non-loopback address PostgreSQL listens on, else loopback. */
export function controlHost(config: Config): string {
  if (config.nodeControlHost) return config.nodeControlHost;
  const addresses = config.postgresListenAddresses.split(',').map((address) => address.trim());
  if (addresses.includes('*')) return '0.0.0.0';
  return (
    addresses.find((address) => address !== 'localhost' && !address.startsWith('127.') && address !== '::1') ??
    '127.0.0.1'
  );
}

/** What each peer says it is; undefined for one that does not answer (logged). */
function askPeers(
  config: Config,
  tls: TlsFiles,
  log: Logger,
): Promise<Array<{ address: { host: string; port: number }; report: NodeReport } | undefined>> {
  return Promise.all(
    peerControlAddresses(config).map(async (address) => {
      try {
        return { address, report: await askNode(tls, address) };
      } catch (error) {
        log.info({ peer: address, err: (error as Error).message }, 'a peer did not answer');
        return undefined;
      }
    }),
  );
}
