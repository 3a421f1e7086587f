import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { appError, asClause, isAppError } from '../../platform/errors.js';
import { TransferMeter } from '../../platform/progress.js';
import type { Inspect, RecoveryOutcome, RecoveryTarget } from '../../platform/postgres/recovery.js';
import { backupKey } from './backup.keys.js';
import { backupFor, findBackup, repositoryNamed } from './backup.listing.js';
import { awaitRetention, lockRepository } from './backup.locks.js';
import { authenticRecord, openObject } from './backup.objects.js';
import type { BackupServiceDeps, Recover, Repository } from './backup.ports.js';
import type { BackupRecord, TransferProgress } from './backup.schema.js';
import type { WalGap } from './backup.wal-plan.js';
import { walSupplier } from './backup.wal-fetch.js';

export interface RestoreOptions {
  readonly id?: string;
  /** The new data directory. */
  readonly target: string;
  /** Where recovery stops; `none` leaves the backup as taken (consistent at its end). Default: the latest archived WAL. */
  readonly recovery?: RecoveryTarget | 'none';
  readonly owner?: { uid: number; gid: number };
  readonly onProgress?: (progress: TransferProgress) => void;
  /** Checks the recovered cluster while it runs, before it is stopped (the nightly drill). */
  readonly inspect?: Inspect;
}

export interface RestoreResult {
  readonly record: BackupRecord;
  readonly repository: string;
  readonly files: number;
  readonly bytes: number;
  readonly walFiles: number;
  /** Holes in the archived WAL: recovery cannot pass them. */
  readonly walGaps: WalGap[];
  readonly recovery?: RecoveryOutcome;
  readonly seconds: number;
}

/** One attempt: the backup from one repository, with the inspection the caller asked for. */
interface Attempt {
  readonly repository: Repository;
  readonly id: string;
  readonly key: BackupKey;
  readonly recovery: RecoveryTarget | 'none';
  readonly inspect: Inspect | undefined;
  readonly startedAt: Date;
}

/**
 * Restores the whole cluster from a backup into an empty directory, then replays the
 * archived WAL to the target (default: as far as the archive goes) and promotes it.
 * The first repository whose copy is intact is used; a damaged copy is abandoned at
 * its first bad chunk and the next repository is tried.
 */
export async function restoreBackup(deps: BackupServiceDeps, options: RestoreOptions): Promise<RestoreResult> {
  const key = await backupKey(deps, false);
  const recovery = options.recovery ?? { kind: 'latest' as const };
  if (recovery !== 'none' && !deps.recover)
    throw new Error('this BackupService cannot replay WAL (no recover adapter)');
  const listing = options.id ? await findBackup(deps, options.id) : await backupFor(deps, recovery);
  await deps.scratch.requireEmpty(options.target);
  const startedAt = deps.clock.now();
  const errors: string[] = [];
  const inspection = watchInspection(options.inspect);
  for (const name of listing.repositories) {
    const repository = repositoryNamed(deps, name);
    const lock = await lockRepository(deps, repository, 'restore');
    try {
      const attempt = { repository, id: listing.record.id, key, recovery, inspect: inspection.inspect, startedAt };
      return await restoreFrom(deps, attempt, options);
    } catch (error) {
      await deps.scratch.empty(options.target);
      if (isAppError(error) && error.code === 'BACKUP_KEY_MISMATCH') throw error;
      if (inspection.state.failed !== undefined) throw inspection.state.failed;
      if (inspection.state.done) throw error;
      errors.push(`${name}: ${asClause((error as Error).message)}`);
      deps.log.warn({ repository: name, err: error }, 'restore from this repository failed; trying the next one');
    } finally {
      await lock.release();
    }
  }
  throw appError(
    'RESTORE_FAILED',
    `Backup ${listing.record.id} could not be restored from any repository: ${errors.join('; ')}. The target directory was left empty.`,
  );
}

/**
 * The caller's inspection, noting how it went. What it throws is about the data, not the copy:
 * no other repository would do better. Nor is a failure after a successful inspection: it has
 * acted (a tenant restored) and must not act twice.
 */
function watchInspection(inspect: Inspect | undefined): {
  inspect: Inspect | undefined;
  state: { failed?: unknown; done?: boolean };
} {
  const watched = { inspect: undefined as Inspect | undefined, state: {} as { failed?: unknown; done?: boolean } };
  if (inspect)
    watched.inspect = async (target) => {
      try {
        await inspect(target);
        watched.state = { done: true };
      } catch (error) {
        watched.state = { failed: error };
        throw error;
      }
    };
  return watched;
}

async function restoreFrom(deps: BackupServiceDeps, attempt: Attempt, options: RestoreOptions): Promise<RestoreResult> {
  const { repository, key, recovery } = attempt;
  await awaitRetention(deps, repository);
  const record = await authenticRecord(repository, attempt.id, key);
  const { files, bytes } = await extractBase(deps, repository, record, key, options);
  let wal: { walFiles: number; walGaps: WalGap[] } = { walFiles: 0, walGaps: [] };
  let outcome: RecoveryOutcome | undefined;
  if (recovery !== 'none') {
    const { supplier, gaps } = await walSupplier(deps, repository, record, key);
    const recover: Recover = deps.recover!;
    outcome = await recover({
      dataDir: options.target,
      wal: supplier,
      target: recovery,
      role: record.role,
      inspect: attempt.inspect,
    });
    wal = { walFiles: outcome.walFiles, walGaps: gaps };
  }
  deps.log.info(
    { id: record.id, repository: repository.name, files, bytes, walFiles: wal.walFiles, outcome },
    'restored a base backup',
  );
  return {
    record,
    repository: repository.name,
    files,
    bytes,
    ...wal,
    recovery: outcome,
    seconds: (deps.clock.now().getTime() - attempt.startedAt.getTime()) / 1000,
  };
}

async function extractBase(
  deps: BackupServiceDeps,
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
  options: RestoreOptions,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const object of record.objects.filter((entry) => entry.name.endsWith('.tar'))) {
    const meter = new TransferMeter(deps.clock, `restoring from ${repository.name}`, object.plainBytes);
    const extracted = await deps.scratch.extractTar(openObject(repository, object, key), options.target, {
      owner: options.owner,
      handOver: true,
      onBytes: (done) => options.onProgress?.(meter.update(done)),
    });
    files += extracted.files;
    bytes += extracted.bytes;
  }
  return { files, bytes };
}
