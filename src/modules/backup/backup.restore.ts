import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { appError, asClause, isAppError } from '../../platform/errors.js';
import { TransferMeter } from '../../platform/progress.js';
import type { Inspect, RecoveryOutcome, RecoveryTarget } from '../../platform/postgres/recovery.js';
import { chainOf } from './backup.chain.js';
import { backupKey } from './backup.keys.js';
import { backupBefore, backupsFor, findBackup, repositoryNamed } from './backup.listing.js';
import { awaitRetention, lockRepository } from './backup.locks.js';
import { authenticRecord, openObject } from './backup.objects.js';
import type { BackupServiceDeps, Recover, Repository } from './backup.ports.js';
import type { BackupListing, BackupRecord, TransferProgress } from './backup.schema.js';
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
  /** Newer backups passed over because no repository held an intact copy (a restore without an id). */
  readonly passedOver: PassedOver[];
}

export interface PassedOver {
  readonly id: string;
  /** Each repository's reason. */
  readonly reason: string;
}

/** One attempt: the backup from one repository, with the inspection the caller asked for. */
interface Attempt {
  readonly repository: Repository;
  readonly id: string;
  readonly key: BackupKey;
  readonly recovery: RecoveryTarget | 'none';
  readonly inspect: Inspect | undefined;
  readonly startedAt: Date;
  /** Set once the base backup is unpacked: a failure after it is not about the copy. */
  baseDone: boolean;
}

/**
 * Restores the whole cluster from a backup into an empty directory, then replays the
 * archived WAL to the target (default: as far as the archive goes) and promotes it.
 * The first repository whose copy is intact is used; a damaged copy is abandoned at
 * its first bad chunk and the next repository is tried. Without an id, a backup no
 * repository holds intact is passed over for the next older one: replaying the WAL from
 * it reaches the same target. With an id, or as taken, the error names that older one.
 */
export async function restoreBackup(deps: BackupServiceDeps, options: RestoreOptions): Promise<RestoreResult> {
  const key = await backupKey(deps, false);
  const recovery = options.recovery ?? { kind: 'latest' as const };
  if (recovery !== 'none' && !deps.recover)
    throw new Error('this BackupService cannot replay WAL (no recover adapter)');
  const candidates = options.id ? [await findBackup(deps, options.id)] : await backupsFor(deps, recovery);
  const fallsBack = !options.id && recovery !== 'none' && recovery.kind !== 'immediate';
  await deps.scratch.requireEmpty(options.target);
  const startedAt = deps.clock.now();
  const inspection = watchInspection(options.inspect);
  const passedOver: PassedOver[] = [];
  for (const [index, listing] of candidates.entries()) {
    const tried = await restoreListing(deps, listing, { key, recovery, inspection, startedAt }, options);
    if ('result' in tried) return { ...tried.result, passedOver };
    const reason = tried.errors.join('; ');
    const older = fallsBack ? candidates[index + 1] : undefined;
    if (!tried.copiesDamaged || !older) {
      const newer = passedOver.map((skipped) => `backup ${skipped.id} (${skipped.reason})`);
      throw appError(
        'RESTORE_FAILED',
        `Backup ${listing.record.id} could not be restored from any repository: ${reason}.` +
          (newer.length ? ` Nor could the newer ones: ${newer.join('; ')}.` : '') +
          (tried.copiesDamaged ? await olderNote(deps, listing, fallsBack, recovery) : '') +
          ' The target directory was left empty.',
      );
    }
    deps.log.warn(
      { id: listing.record.id, older: older.record.id, reason },
      'no repository holds an intact copy of this backup; restoring the next older one and replaying the WAL from it',
    );
    passedOver.push({ id: listing.record.id, reason });
  }
  throw new Error('unreachable: every candidate either restores or throws');
}

/** Where to turn when no repository holds an intact copy: the next older backup, named with the command that restores it. */
async function olderNote(
  deps: BackupServiceDeps,
  listing: BackupListing,
  fellBack: boolean,
  recovery: RecoveryTarget | 'none',
): Promise<string> {
  const older = fellBack ? undefined : await backupBefore(deps, listing.record.id);
  if (!older) return ' There is no older backup to fall back to.';
  return ` The next older backup is ${older.record.id} (finished ${older.record.finishedAt}): "steadfast backup restore ${older.record.id}${targetFlags(recovery)} --to <dir>" restores it.`;
}

/** The restore command's flags for a recovery target, so a suggested command recovers to the same one. */
function targetFlags(recovery: RecoveryTarget | 'none'): string {
  if (recovery === 'none') return ' --as-taken';
  if (recovery.kind === 'time') return ` --time ${recovery.at.toISOString()}`;
  if (recovery.kind === 'name') return ` --name ${JSON.stringify(recovery.name)}`;
  return '';
}

/** What one backup's restore attempt came to: restored, or every repository's reason, and whether each was its copy. */
type Tried = { result: Omit<RestoreResult, 'passedOver'> } | { errors: string[]; copiesDamaged: boolean };

/** Failures that are about a repository's copy of the backup (not the WAL, the key, or this machine): an older backup may do. */
const copyFailures = new Set(['BACKUP_CORRUPT', 'BACKUP_NOT_FOUND', 'BACKUP_CHAIN_BROKEN', 'REPOSITORY_UNAVAILABLE']);

/** One backup, from each repository that holds it in turn; the target is emptied after each failure. */
async function restoreListing(
  deps: BackupServiceDeps,
  listing: BackupListing,
  common: { key: BackupKey; recovery: RecoveryTarget | 'none'; inspection: Inspection; startedAt: Date },
  options: RestoreOptions,
): Promise<Tried> {
  const { key, recovery, inspection, startedAt } = common;
  const errors: string[] = [];
  let copiesDamaged = true;
  for (const name of listing.repositories) {
    const repository = repositoryNamed(deps, name);
    const lock = await lockRepository(deps, repository, 'restore');
    const attempt = {
      repository,
      id: listing.record.id,
      key,
      recovery,
      inspect: inspection.inspect,
      startedAt,
      baseDone: false,
    };
    try {
      return { result: await restoreFrom(deps, attempt, options) };
    } catch (error) {
      await deps.scratch.empty(options.target);
      if (isAppError(error) && error.code === 'BACKUP_KEY_MISMATCH') throw error;
      if (inspection.state.failed !== undefined) throw inspection.state.failed;
      if (inspection.state.done) throw error;
      if (attempt.baseDone || !isAppError(error) || !copyFailures.has(error.code)) copiesDamaged = false;
      errors.push(`${name}: ${asClause((error as Error).message)}`);
      deps.log.warn({ repository: name, err: error }, 'restore from this repository failed; trying the next one');
    } finally {
      await lock.release();
    }
  }
  return { errors, copiesDamaged };
}

interface Inspection {
  readonly inspect: Inspect | undefined;
  readonly state: { failed?: unknown; done?: boolean };
}

/**
 * The caller's inspection, noting how it went. What it throws is about the data, not the copy:
 * no other repository would do better. Nor is a failure after a successful inspection: it has
 * acted (a tenant restored) and must not act twice.
 */
function watchInspection(inspect: Inspect | undefined): Inspection {
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

async function restoreFrom(
  deps: BackupServiceDeps,
  attempt: Attempt,
  options: RestoreOptions,
): Promise<Omit<RestoreResult, 'passedOver'>> {
  const { repository, key, recovery } = attempt;
  await awaitRetention(deps, repository);
  const record = await authenticRecord(repository, attempt.id, key);
  const { files, bytes } = await extractBase(deps, repository, record, key, options);
  attempt.baseDone = true;
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

/**
 * Unpacks the backup's archives, and for an incremental the files it left out from the earlier
 * backups that hold them (see chainOf), into the target.
 */
async function extractBase(
  deps: BackupServiceDeps,
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
  options: RestoreOptions,
): Promise<{ files: number; bytes: number }> {
  const links = await chainOf(repository, record, key);
  const archives = links.flatMap((link) =>
    link.record.objects.filter((entry) => entry.name.endsWith('.tar')).map((object) => ({ ...link, object })),
  );
  const meter = new TransferMeter(
    deps.clock,
    `restoring from ${repository.name}`,
    archives.reduce((sum, archive) => sum + (archive.onlyBytes ?? archive.object.plainBytes), 0),
  );
  let files = 0;
  let bytes = 0;
  /** Files taken so far from each earlier backup (over all of its archives). */
  const taken = new Map<string, number>();
  for (const { record: holder, object, only } of archives) {
    const before = bytes;
    const extracted = await deps.scratch.extractTar(
      // The writing thread gives back the slabs it has written out (see extractTar).
      openObject(repository, object, key, holder.systemIdentifier, { intoSlabs: true }),
      options.target,
      {
        owner: options.owner,
        handOver: true,
        only,
        onBytes: (done) => options.onProgress?.(meter.update(before + done)),
      },
    );
    if (only) taken.set(holder.id, (taken.get(holder.id) ?? 0) + extracted.files);
    files += extracted.files;
    bytes += extracted.bytes;
  }
  for (const { record: holder, only } of links) {
    if (only && taken.get(holder.id) !== only.size)
      throw appError(
        'BACKUP_CHAIN_BROKEN',
        `Backup ${record.id} needs ${only.size} files from backup ${holder.id}, but its archives in ${repository.name} hold only ${taken.get(holder.id) ?? 0} of them.`,
      );
  }
  return { files, bytes };
}
