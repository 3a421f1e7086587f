import { appError } from '../../platform/errors.js';
import type { RecoveryTarget } from '../../platform/postgres/recovery.js';
import { parseLsn } from '../../platform/postgres/lsn.js';
import { readWhole } from '../../platform/storage/store.js';
import { ownerKey, readRecords, walFileOf } from './backup.catalog.js';
import { findMark } from './backup.marks.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import { backupIdSchema, type BackupListing, type BackupRecord } from './backup.schema.js';
import { isSegmentName, segmentEnding } from './backup.wal-plan.js';
import { chainOfPieces } from './backup.wal-pieces.js';

type ListingDeps = Pick<BackupServiceDeps, 'repositories' | 'log'>;

/** Complete backups across all repositories, oldest first, with where each is kept. */
export async function listBackups(deps: ListingDeps): Promise<BackupListing[]> {
  const byId = new Map<string, { record: BackupRecord; repositories: string[] }>();
  for (const repository of deps.repositories) {
    let records: BackupRecord[];
    try {
      records = await readRecords(repository.store, (key, why) =>
        deps.log.warn({ repository: repository.name, key, why }, 'skipping an unreadable backup record'),
      );
    } catch (error) {
      deps.log.warn({ repository: repository.name, err: error }, 'cannot list a backup repository');
      continue;
    }
    for (const record of records) {
      const entry = byId.get(record.id) ?? { record, repositories: [] };
      entry.repositories.push(repository.name);
      byId.set(record.id, entry);
    }
  }
  return [...byId.values()].sort((a, b) => a.record.id.localeCompare(b.record.id));
}

/** The backup `id`, or without one the latest. */
export async function findBackup(deps: ListingDeps, id?: string): Promise<BackupListing> {
  if (id !== undefined && !backupIdSchema.safeParse(id).success) {
    throw appError(
      'VALIDATION_FAILED',
      `"${id}" is not a backup id: ${backupIdSchema.safeParse(id).error!.issues[0]!.message}.`,
    );
  }
  const all = await listBackups(deps);
  const found = id ? all.find((listing) => listing.record.id === id) : all.at(-1);
  if (!found) {
    throw appError(
      'BACKUP_NOT_FOUND',
      id
        ? `No repository holds a complete backup ${id}. Run "steadfast backup list" to see the backups.`
        : 'There is no complete backup in any repository yet. Take one with "steadfast backup now".',
    );
  }
  return found;
}

/**
 * The backups a restore without an id may start from, newest first: every backup for the
 * latest WAL, those that finished before the target for a moment or a restore point (each can
 * be replayed to it). The first is the one to use; the rest are what to fall back on.
 */
export async function backupsFor(deps: ListingDeps, recovery: RecoveryTarget | 'none'): Promise<BackupListing[]> {
  if (recovery === 'none' || recovery.kind === 'latest' || recovery.kind === 'immediate') {
    await findBackup(deps); // no backup at all is said here
    return (await listBackups(deps)).reverse();
  }
  if (recovery.kind === 'time') return backupsBefore(deps, recovery.at);
  const mark = await findMark(deps.repositories, recovery.name);
  if (!mark)
    throw appError(
      'RESTORE_FAILED',
      `No repository records a restore point named "${recovery.name}". Restore points are made with "steadfast backup mark <name>".`,
    );
  return backupsBefore(deps, new Date(mark.createdAt));
}

/** The backups that had finished by `at`, newest first: recovery can start from each and reach `at`. */
async function backupsBefore(deps: ListingDeps, at: Date): Promise<BackupListing[]> {
  const all = await listBackups(deps);
  const usable = all.filter((listing) => Date.parse(listing.record.finishedAt) <= at.getTime());
  if (usable.length === 0) {
    const earliest = all[0]?.record.finishedAt;
    throw appError(
      'RESTORE_FAILED',
      earliest
        ? `${at.toISOString()} is before the end of the earliest backup (${earliest}); the recoverable window starts there.`
        : 'There is no backup to restore from yet.',
    );
  }
  return usable.reverse();
}

/** The newest backup older than `id`, if any. */
export async function backupBefore(deps: ListingDeps, id: string): Promise<BackupListing | undefined> {
  return (await listBackups(deps)).filter((listing) => listing.record.id < id).at(-1);
}

/** The configured repository of that name (a name a listing gave). */
export function repositoryNamed(deps: Pick<BackupServiceDeps, 'repositories'>, name: string): Repository {
  return deps.repositories.find((repository) => repository.name === name)!;
}

/** The newest WAL segment a repository holds, for status. */
export async function lastArchivedWal(repository: Repository): Promise<string | undefined> {
  const segments = (await repository.store.list('wal/')).map((object) => walFileOf(object.key)).filter(isSegmentName);
  return segments.sort().at(-1);
}

/** Reads the repository's claim (repository.json, absent before the first write): one small request, failing when the repository does not answer. */
export async function reachRepository(repository: Repository): Promise<void> {
  await readWhole(repository.store, ownerKey);
}

/** The newest complete backup one repository holds, for its probe. */
export async function newestBackupIn(repository: Repository): Promise<BackupRecord | undefined> {
  return (await readRecords(repository.store, () => undefined)).at(-1);
}

/**
 * Whether some repository holds the WAL up to `lsn` (an end position, as a commit or
 * restore point returns it) on `timeline`: the whole segment, or streamed pieces reaching that far.
 */
export async function walHeldUpTo(
  repositories: readonly Repository[],
  lsn: string,
  timeline: number,
): Promise<boolean> {
  const { segment, within: needed } = segmentEnding(parseLsn(lsn), timeline);
  for (const repository of repositories) {
    const files = (await repository.store.list(`wal/${segment}`).catch(() => [])).map((object) =>
      walFileOf(object.key),
    );
    if (files.includes(segment) || chainOfPieces(files).end >= needed) return true;
  }
  return false;
}
