import type { Command } from 'commander';
import { attachDatabase, bootstrapPlatform } from '../app/database.js';
import { withServer, type DatabaseHandle } from '../platform/db/handle.js';
import { readStandbyState } from '../modules/replication/index.js';
import { isInRecovery } from '../platform/postgres/replication-status.js';
import { appError } from '../platform/errors.js';
import { createPlatform, type Platform } from '../app/deps.js';
import { readInstance } from '../platform/process/instance.js';
import type { Actor } from '../platform/actor.js';
import { loadConfig, type Config } from '../platform/config/config.js';
import { createLogger, type Logger } from '../platform/log/log.js';
import { currentUserName } from '../platform/postgres/os-user.js';

/** Options every command accepts (set on the root program). */
export interface GlobalOptions {
  home?: string;
  config?: string;
  logLevel?: string;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Config from defaults, file, environment and the global flags. */
export function configFrom(options: GlobalOptions, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({
    file: options.config,
    overrides: { home: options.home, logLevel: options.logLevel, ...overrides },
  });
}

/** Commands other than the servers log only warnings unless asked: their output is the point. */
export function commandLogger(config: Config, options: GlobalOptions): Logger {
  return createLogger(
    options.logLevel ?? (config.logLevel === 'info' ? 'warn' : config.logLevel),
    { command: true },
    config.logFormat,
  );
}

/** The prologue of every command: its global options, the config they make, and the command's logger. */
export function commandSetup(
  command: Command,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): { global: GlobalOptions; config: Config; log: Logger } {
  const global = globalOptions(command);
  const config = configFrom(global, overrides);
  return { global, config, log: commandLogger(config, global) };
}

export function operator(): Actor {
  return { kind: 'operator', name: currentUserName() };
}

/**
 * Runs a command against the platform: finds its database (external, the running
 * instance's, or started for this command), brings the schema current, and closes
 * everything afterwards, also when the command fails.
 */
export async function withPlatform<R>(options: GlobalOptions, work: (platform: Platform) => Promise<R>): Promise<R> {
  const config = configFrom(options);
  const log = commandLogger(config, options);
  const database = await attachDatabase(config, log);
  try {
    await refuseOnStandby(config, database);
    await bootstrapPlatform(database, log);
    const running = await readInstance(config.home);
    const platform = createPlatform(config, log, database, {
      platformPoolMax: 3,
      publicPort: running?.httpsPort ?? running?.httpPort,
    });
    try {
      return await work(platform);
    } finally {
      await platform.close();
    }
  } finally {
    await database.stop();
  }
}

/** A standby's database is read-only: say so, and where to go, before anything fails on it. */
async function refuseOnStandby(config: Config, database: DatabaseHandle): Promise<void> {
  if (database.mode === 'external') return;
  if (!(await withServer(database, isInRecovery))) return;
  const following = await readStandbyState(config.home);
  throw appError(
    'NODE_STATE_CONFLICT',
    `This node is a standby${following ? ` (it follows ${following.primary.host}:${following.primary.port})` : ''}: its database is read-only, so this command cannot run here. Run it on the primary; if the primary is gone, make this node the primary first with "steadfast failover".`,
  );
}
