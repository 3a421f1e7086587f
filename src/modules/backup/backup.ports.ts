import type { Clock } from '../../platform/clock/clock.js';
import type { Logger } from '../../platform/log/log.js';
import type { Inspect, RecoveryOutcome, RecoveryTarget } from '../../platform/postgres/recovery.js';
import type { WalSupplier } from '../../platform/postgres/wal-feed.js';
import type { BaseBackupEvent } from '../../platform/postgres/replication.js';
import type { ReusableFiles } from '../../platform/postgres/file-backup.js';
import type { RestorePoint } from '../../platform/postgres/restore-point.js';
import type { ObjectStore } from '../../platform/storage/store.js';
import type { RetentionPolicy } from './backup.retention.js';

/** A place backups and archived WAL are kept, by name (the configured repositories). */
export interface Repository {
  readonly name: string;
  readonly store: ObjectStore;
  /** Default: 7 daily, 4 weekly, 3 monthly. */
  readonly retention?: RetentionPolicy;
}

/**
 * The cluster backups are taken from, as PostgreSQL shows it (adapter: platform/postgres/backup-source.ts).
 * Its files come read from the data directory when it runs on this machine, else streamed by BASE_BACKUP.
 */
export interface BackupSource {
  /** The role backups are taken as, recorded so a restore knows who owns the cluster. */
  readonly role: string;
  /** IDENTIFY_SYSTEM: repositories are claimed for the system identifier. */
  identify(): Promise<{
    readonly systemIdentifier: string;
    readonly timeline: number;
    readonly serverVersionNum: number;
  }>;
  /** A base backup of the cluster: its archives, the manifest, its start and end in the WAL. */
  /**
   * `reuse`: files an earlier backup holds, left out when unchanged since (an incremental); it
   * may still be being read from the repositories, and is waited for once the backup has
   * started (its checkpoint done). A source that cannot (BASE_BACKUP) sends every file; the end
   * event's `references` tell.
   */
  stream(options: {
    label: string;
    chunkBytes: number;
    reuse?: PromiseLike<ReusableFiles | undefined> | undefined;
  }): Promise<AsyncIterable<BaseBackupEvent>>;
  /** A named restore point, its WAL segment closed so the point is archived at once. */
  createRestorePoint(name: string): Promise<RestorePoint>;
}

/** The local disk a restore writes to (adapter: platform/storage/scratch-space.ts). */
export interface ScratchSpace {
  /** Fails unless `dir` is missing or empty: a restore never writes over anything. */
  requireEmpty(dir: string): Promise<void>;
  /** Empties `dir` after a failed attempt, for the next repository's. */
  empty(dir: string): Promise<void>;
  /** Unpacks one tar archive into `dir` (or some of its files); returns the files and bytes written. */
  extractTar(
    archive: AsyncIterable<Buffer>,
    dir: string,
    options: {
      owner?: { uid: number; gid: number } | undefined;
      handOver: boolean;
      /** Only these files (paths in the archive) are written. */
      only?: ReadonlySet<string> | undefined;
      onBytes: (bytes: number) => void;
    },
  ): Promise<{ files: number; bytes: number }>;
}

/** Replays archived WAL on a restored data directory to its target, fetching it from `wal` as it goes (an adapter around Postgres). */
export type Recover = (run: {
  dataDir: string;
  wal: WalSupplier;
  target: RecoveryTarget;
  role: string;
  inspect?: Inspect | undefined;
}) => Promise<RecoveryOutcome>;

export interface BackupServiceDeps {
  readonly repositories: readonly Repository[];
  /** The cluster to back up and mark; not needed to list, verify or restore. */
  readonly source?: BackupSource | undefined;
  readonly scratch: ScratchSpace;
  /** Replays WAL after a restore; without it, restores stop at the backup's end. */
  readonly recover?: Recover | undefined;
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** For calendar retention. */
  readonly timeZone?: string | undefined;
}
