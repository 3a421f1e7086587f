import type { BackupKey } from '../../platform/crypto/backup-key.js';
import type { StoredObject } from '../../platform/storage/store.js';
import {
  backupPrefix,
  readRecords,
  recordIsAuthentic,
  recordKey,
  timeOfBackupId,
  walFileOf,
  walKey,
} from './backup.catalog.js';
import { backupKey } from './backup.keys.js';
import { activeLock, lockRepository, type RepositoryLock } from './backup.locks.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import { neededBy } from './backup.chain.js';
import { planRetention, type RetentionPolicy } from './backup.retention.js';
import { backupIdSchema } from './backup.schema.js';
import { isSegmentName, segmentOf } from './backup.wal-plan.js';
import { partialPattern } from './backup.wal-pieces.js';

export interface RetentionReport {
  readonly repository: string;
  readonly keep: string[];
  readonly remove: string[];
  readonly walFilesRemoved: number;
  /** From when to now any moment can be restored, after this retention. */
  readonly recoverableFrom?: string;
  /** Backups that never finished (no record, started over a day ago): their objects go too. */
  readonly abandoned: string[];
  /** Backups the policy would remove, kept because a kept incremental needs them: by id, the backups needing each. */
  readonly keptForChains: Record<string, string[]>;
  /** Temporary files of writes a process died in (over a day old); counted when removed, not in a dry run. */
  readonly unfinishedWritesRemoved?: number;
  /** Why nothing was removed, when something held it back (a restore in progress). */
  readonly skipped?: string;
  readonly dryRun: boolean;
}

/** What a repository keeps when its configuration says nothing. */
export const defaultRetention: RetentionPolicy = { daily: 7, weekly: 4, monthly: 3 };
/**
 * A backup without a record this long after its start has failed or died; retention removes its
 * objects (and temporary files this old are of writes that died). No backup runs this long here.
 */
const abandonedAfterMs = 24 * 3600_000;

/** What retention removes from one repository, and the report it makes of it. */
interface Pruning {
  readonly report: RetentionReport;
  readonly walToRemove: string[];
  readonly abandonedBefore: Date;
}

/**
 * Applies each repository's retention: removes the backups its policy does not keep
 * (their record first, so a backup never half-disappears) and the WAL no kept backup
 * needs. A repository with a restore or drill running is left alone.
 */
export async function applyRetention(
  deps: BackupServiceDeps,
  options: { dryRun: boolean },
): Promise<RetentionReport[]> {
  const key = await backupKey(deps, false);
  const reports: RetentionReport[] = [];
  for (const repository of deps.repositories) {
    try {
      reports.push(await retain(deps, repository, key, options.dryRun));
    } catch (error) {
      // One unreachable repository must not stop the others' retention.
      reports.push({
        repository: repository.name,
        keep: [],
        remove: [],
        keptForChains: {},
        abandoned: [],
        walFilesRemoved: 0,
        skipped: `it could not be read: ${(error as Error).message}`,
        dryRun: options.dryRun,
      });
    }
  }
  return reports;
}

async function retain(
  deps: BackupServiceDeps,
  repository: Repository,
  key: BackupKey,
  dryRun: boolean,
): Promise<RetentionReport> {
  if (dryRun) return (await planPruning(deps, repository, key, true)).report;
  // Intent first, then the check, then what to remove, decided under the lock: a restore starting
  // meanwhile sees this lock and waits, or this retention sees the restore's and removes nothing.
  const lock = await lockRepository(deps, repository, 'retention');
  try {
    const pruning = await planPruning(deps, repository, key, false);
    const nothing = (skipped: string): RetentionReport => ({
      ...pruning.report,
      remove: [],
      abandoned: [],
      walFilesRemoved: 0,
      skipped,
    });
    if (!lock.held) return nothing('its lock could not be written there, and retention removes nothing without one');
    if (await activeLock(deps, repository, 'restore'))
      return nothing('a restore is running; retention waits for it to end');
    return await prune(deps, repository, pruning, lock);
  } finally {
    await lock.release();
  }
}

/** A retention's lock is written anew this often while it removes things, so it never looks stale to a restore. */
const retentionLockRefreshMs = 5 * 60_000;
/** WAL files removed between two looks for a restore's lock. */
const walRemovalsPerLook = 200;

/** Thrown inside `prune` when a restore's lock appears: retention stops where it is. */
class RestoreStarted extends Error {}

async function planPruning(
  deps: BackupServiceDeps,
  repository: Repository,
  key: BackupKey,
  dryRun: boolean,
): Promise<Pruning> {
  // Only backups written under our key and unaltered count: a foreign record can move nothing.
  const records = (await readRecords(repository.store, () => undefined)).filter((record) =>
    recordIsAuthentic(record, key),
  );
  const plan = planRetention(
    records.map((record) => ({ id: record.id, finishedAt: new Date(record.finishedAt) })),
    repository.retention ?? defaultRetention,
    deps.timeZone ?? 'UTC',
  );
  // An incremental's chain stays as long as it does: what it needs is kept, and said so.
  const chains = neededBy(records, new Set(plan.keep));
  const keptForChain = plan.remove.filter((id) => chains.has(id));
  const keep = plan.keep.concat(keptForChain).sort();
  const remove = plan.remove.filter((id) => !chains.has(id));
  const keptForChains = Object.fromEntries(keptForChain.map((id) => [id, chains.get(id)!.sort()]));
  const oldestKept = records.find((record) => record.id === keep[0]);
  const firstNeeded = oldestKept ? segmentOf(oldestKept.startLsn, oldestKept.timeline) : undefined;
  const walObjects = (await repository.store.list('wal/')).map((object) => walFileOf(object.key));
  const whole = new Set(walObjects.filter(isSegmentName));
  const walToRemove = walObjects.filter(
    (file) =>
      (firstNeeded !== undefined && /^[0-9A-F]{24}/.test(file) && file.slice(0, 24) < firstNeeded) ||
      // A streamed partial copy whose segment has since been stored whole (the streamer stopped before tidying it).
      (partialPattern.test(file) && whole.has(file.slice(0, 24))),
  );
  const abandonedBefore = new Date(deps.clock.now().getTime() - abandonedAfterMs);
  const abandoned = unrecordedBackups(await repository.store.list('backups/')).filter(
    (id) => timeOfBackupId(id) < abandonedBefore,
  );
  const report = {
    repository: repository.name,
    keep,
    remove,
    keptForChains,
    abandoned,
    walFilesRemoved: walToRemove.length,
    recoverableFrom: oldestKept?.finishedAt,
    dryRun,
  };
  return { report, walToRemove, abandonedBefore };
}

async function prune(
  deps: BackupServiceDeps,
  repository: Repository,
  pruning: Pruning,
  lock: RepositoryLock,
): Promise<RetentionReport> {
  const { store } = repository;
  const { report, walToRemove, abandonedBefore } = pruning;
  const removed: string[] = [];
  const abandonedRemoved: string[] = [];
  let walFilesRemoved = 0;
  // Before each backup and every few hundred WAL files: the lock kept live, and a restore that
  // started anyway (its host's clock ahead, a lock written past ours) stops the removal there.
  const look = async (): Promise<void> => {
    await lock.refresh(retentionLockRefreshMs);
    if (await activeLock(deps, repository, 'restore')) throw new RestoreStarted();
  };
  try {
    for (const id of report.remove) {
      await look();
      await store.delete(recordKey(id)); // the record first: the backup is gone from listings at once
      for (const object of await store.list(backupPrefix(id))) await store.delete(object.key);
      removed.push(id);
    }
    for (const id of report.abandoned) {
      for (const object of await store.list(backupPrefix(id))) await store.delete(object.key);
      abandonedRemoved.push(id);
    }
    for (const file of walToRemove) {
      if (walFilesRemoved % walRemovalsPerLook === 0) await look();
      await store.delete(walKey(file));
      walFilesRemoved++;
    }
  } catch (error) {
    if (!(error instanceof RestoreStarted)) throw error;
    deps.log.warn({ repository: repository.name, removed, walFilesRemoved }, 'a restore started; retention stopped');
    return {
      ...report,
      remove: removed,
      abandoned: abandonedRemoved,
      walFilesRemoved,
      skipped: `a restore started while it ran: it stopped after removing ${removed.length} backup(s) and ${walFilesRemoved} WAL file(s)`,
    };
  }
  const unfinishedWritesRemoved = (await store.removeUnfinished?.(abandonedBefore)) ?? 0;
  if (report.remove.length || report.abandoned.length || unfinishedWritesRemoved) {
    deps.log.info(
      {
        repository: repository.name,
        removed: report.remove,
        abandoned: report.abandoned,
        walFilesRemoved: walToRemove.length,
        unfinishedWritesRemoved,
      },
      'retention removed old backups',
    );
  }
  return { ...report, unfinishedWritesRemoved };
}

/** Ids of backups that have objects in the listing but no record: unfinished, failed or dying. */
function unrecordedBackups(objects: readonly StoredObject[]): string[] {
  const ids = new Set<string>();
  const recorded = new Set<string>();
  for (const { key } of objects) {
    const id = key.split('/')[1];
    if (!id || !backupIdSchema.safeParse(id).success) continue;
    ids.add(id);
    if (key === recordKey(id)) recorded.add(id);
  }
  return [...ids].filter((id) => !recorded.has(id)).sort();
}
