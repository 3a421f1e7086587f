import path from 'node:path';
import type { Config } from '../../platform/config/config.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { isInRecovery } from '../../platform/postgres/replication-status.js';
import type { StandbyState } from './replication.state.js';

export interface RunningStandby {
  readonly primary: { host: string; port: number };
  readonly database: DatabaseHandle;
  readonly fatal: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * `steadfast up` on a standby: its PostgreSQL (`database`, just started), following the
 * primary. It serves no tenants (its data is read-only until promoted) and ships no WAL (the
 * primary does). Checks that this node holds the primary's secret key, without which it could
 * not serve once promoted.
 */
export async function startStandbyOn(
  database: DatabaseHandle,
  config: Config,
  log: Logger,
  standby: StandbyState,
): Promise<RunningStandby> {
  try {
    const inRecovery = await withServer(database, isInRecovery).catch((error: unknown) => {
      if ((error as { code?: string }).code === '28P01') {
        throw appError(
          'STANDBY_MISCONFIGURED',
          `This standby cannot log in to its own PostgreSQL: its secret key is not the primary's. Copy secret.key from the primary's home into ${config.home} (or set STEADFAST_SECRET_KEY to the primary's), then start again.`,
        );
      }
      throw error;
    });
    if (!inRecovery) {
      throw appError(
        'STANDBY_MISCONFIGURED',
        `${path.join(config.home, 'standby.json')} says this node follows ${standby.primary.host}:${standby.primary.port}, but its PostgreSQL is a primary (promoted). Remove standby.json if this node is now the primary.`,
      );
    }
  } catch (error) {
    await database.stop();
    throw error;
  }
  log.info(
    { primary: standby.primary, slot: standby.slot },
    'running as a standby: following the primary, serving no tenants until promoted',
  );
  const fatal = new Promise<Error>((resolve) => database.supervisor?.once('fatal', resolve));
  return { primary: standby.primary, database, fatal, stop: () => database.stop() };
}
