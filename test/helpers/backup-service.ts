import {
  BackupService as ModuleBackupService,
  type Recover,
  type Repository,
} from '../../src/modules/backup/backup.service.js';
import type { Clock } from '../../src/platform/clock/clock.js';
import type { ConnectionTarget } from '../../src/platform/db/connect.js';
import type { Logger } from '../../src/platform/log/log.js';
import { postgresBackupSource } from '../../src/platform/postgres/backup-source.js';
import { localScratchSpace } from '../../src/platform/storage/scratch-space.js';

export type { Recover, Repository };

/** A backup service on a real cluster, described by its address, as the integration tests build it. */
export interface BackupServiceDeps {
  readonly repositories: readonly Repository[];
  /** Replays WAL after a restore; without it, restores stop at the backup's end. */
  readonly recover?: Recover;
  /** The cluster to back up, as a role allowed to replicate. */
  readonly source?: ConnectionTarget | undefined;
  /** Its data directory, when the backup is to read the files itself rather than stream them. */
  readonly sourceDataDir?: string | undefined;
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timeZone?: string;
}

/**
 * The backup module's service with the platform's own adapters wired in (the PostgreSQL source,
 * this machine's disk as scratch space), as src/app/backup.ts wires it, built from a cluster's address.
 */
export class BackupService extends ModuleBackupService {
  constructor(deps: BackupServiceDeps) {
    const { source, sourceDataDir, ...rest } = deps;
    super({
      ...rest,
      source: source && postgresBackupSource(source, sourceDataDir),
      scratch: localScratchSpace,
    });
  }
}
