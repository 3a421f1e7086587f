import {
  lastArchivedWal,
  listBackups,
  newestBackupIn,
  reachRepository,
  repositoryNamed,
  walHeldUpTo,
} from './backup.listing.js';
import { createMark } from './backup.marks.js';
import type { BackupServiceDeps } from './backup.ports.js';
import { applyRetention, defaultRetention, type RetentionReport } from './backup.prune.js';
import type { RetentionPolicy } from './backup.retention.js';
import { restoreBackup, type RestoreOptions, type RestoreResult } from './backup.restore.js';
import type { BackupListing, BackupRecord, TransferProgress } from './backup.schema.js';
import { takeBackup, type BackupResult, type TakeOptions } from './backup.take.js';
import { verifyBackup, type VerifyResult } from './backup.verify.js';

export type { BackupResult, TakeOptions } from './backup.take.js';
export type { BackupServiceDeps, BackupSource, Recover, Repository, ScratchSpace } from './backup.ports.js';
export type { PassedOver, RestoreOptions, RestoreResult } from './backup.restore.js';
export type { RetentionReport } from './backup.prune.js';
export type { VerifyResult } from './backup.verify.js';

/**
 * Base backups taken from the cluster (read from its data directory, or streamed over the
 * replication protocol), compressed and encrypted on our side, written to every repository at
 * once; listing, verification against Postgres's own backup manifest, retention, restore
 * points, and restore of the whole cluster. Each concern is a file of its own (backup.take.ts,
 * backup.restore.ts, ...); this is the one face the rest of the platform sees.
 */
export class BackupService {
  constructor(private readonly deps: BackupServiceDeps) {}

  /** Takes a base backup now (full, or incremental when asked). Fails only if no repository could store it; `signal` stops it cleanly. */
  take(
    onProgress?: (progress: TransferProgress) => void,
    signal?: AbortSignal,
    options?: TakeOptions,
  ): Promise<BackupResult> {
    return takeBackup(this.deps, onProgress, signal, options);
  }

  /** Applies each repository's retention (see backup.prune.ts). */
  retention(options: { dryRun: boolean }): Promise<RetentionReport[]> {
    return applyRetention(this.deps, options);
  }

  /** Creates a named restore point, archived at once; returns its WAL position. */
  mark(name: string): Promise<string> {
    return createMark(this.deps, name);
  }

  repositoryNames(): string[] {
    return this.deps.repositories.map((repository) => repository.name);
  }

  /** The retention a repository applies (its own, or the default). */
  retentionOf(name: string): RetentionPolicy {
    return repositoryNamed(this.deps, name).retention ?? defaultRetention;
  }

  /** The newest WAL segment a repository holds, for status. */
  lastArchivedWal(name: string): Promise<string | undefined> {
    return lastArchivedWal(repositoryNamed(this.deps, name));
  }

  /** One small read of a repository (its claim), failing when it does not answer: its probe's round trip. */
  reach(name: string): Promise<void> {
    return reachRepository(repositoryNamed(this.deps, name));
  }

  /** The newest complete backup in one repository (reads every record there: not for every request). */
  newestBackupIn(name: string): Promise<BackupRecord | undefined> {
    return newestBackupIn(repositoryNamed(this.deps, name));
  }

  /** Whether some repository holds the WAL up to `lsn` on `timeline` (whole, or as streamed pieces). */
  walHeldUpTo(lsn: string, timeline: number): Promise<boolean> {
    return walHeldUpTo(this.deps.repositories, lsn, timeline);
  }

  /** Closes the repositories' connections (SFTP), so a command can exit. */
  async close(): Promise<void> {
    await Promise.all(this.deps.repositories.map((repository) => repository.store.close?.()));
  }

  /** Complete backups across all repositories, oldest first, with where each is kept. */
  list(): Promise<BackupListing[]> {
    return listBackups(this.deps);
  }

  /** Checks a backup (default: the latest) in every repository holding it, against Postgres's manifest. */
  verify(id?: string, onProgress?: (progress: TransferProgress) => void): Promise<VerifyResult[]> {
    return verifyBackup(this.deps, id, onProgress);
  }

  /** Restores the whole cluster into an empty directory and replays the WAL to the target (see backup.restore.ts). */
  restore(options: RestoreOptions): Promise<RestoreResult> {
    return restoreBackup(this.deps, options);
  }
}
