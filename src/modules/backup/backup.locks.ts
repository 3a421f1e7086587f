import { setTimeout as sleep } from 'node:timers/promises';
import { backupIdAt, timeOfBackupId, writeJson } from './backup.catalog.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';

/**
 * Locks are objects in the repository itself (`locks/<what>-<time>-<random>.json`), as every
 * process that restores or applies retention may run on another machine: retention keeps what
 * a restore (or drill) reads, and a restore waits for a retention under way.
 */
export type LockKind = 'restore' | 'retention';

export interface RepositoryLock {
  /** Whether the lock object was written: false in a repository this process cannot write to. */
  readonly held: boolean;
  release(): Promise<void>;
  /** Writes the lock anew at the current time, if it is older than `olderThanMs` (a long retention keeps it live). */
  refresh(olderThanMs: number): Promise<void>;
}

/** A restore's lock older than this is taken to be left over from a crash. */
const restoreLockStaleMs = 12 * 3600_000;
/**
 * How long a retention's lock holds restores back. Short: a restore is the emergency path and
 * must not wait half a day for a retention that died; one still deleting after this no longer
 * holds a restore back (which at worst fails over to the next repository).
 */
const retentionLockStaleMs = 15 * 60_000;
/** How often a restore waiting for a retention to end looks again. */
const lockPollMs = 1000;

/** Marks a restore (or drill) or a retention in progress in a repository. */
export async function lockRepository(
  deps: Pick<BackupServiceDeps, 'clock'>,
  repository: Repository,
  what: LockKind,
): Promise<RepositoryLock> {
  const write = async (): Promise<{ key: string; at: number }> => {
    const at = deps.clock.now();
    const key = `locks/${what}-${backupIdAt(at)}-${Math.random().toString(16).slice(2, 10)}.json`;
    await writeJson(repository.store, key, { what, since: at.toISOString() });
    return { key, at: at.getTime() };
  };
  let current: { key: string; at: number };
  try {
    current = await write();
  } catch {
    // A read-only repository: nothing to protect from this process (and nothing it may remove).
    return { held: false, release: async () => undefined, refresh: async () => undefined };
  }
  return {
    held: true,
    release: () => repository.store.delete(current.key).catch(() => undefined),
    refresh: async (olderThanMs) => {
      if (deps.clock.now().getTime() - current.at < olderThanMs) return;
      const previous = current.key;
      current = await write(); // the new one first: the repository is never without the lock
      await repository.store.delete(previous).catch(() => undefined);
    },
  };
}

/** The key of a live lock of this kind in the repository. */
export async function activeLock(
  deps: Pick<BackupServiceDeps, 'clock'>,
  repository: Repository,
  what: LockKind,
): Promise<string | undefined> {
  const now = deps.clock.now().getTime();
  const staleMs = what === 'restore' ? restoreLockStaleMs : retentionLockStaleMs;
  for (const object of await repository.store.list(`locks/${what}-`)) {
    const match = /^locks\/[a-z]+-(\d{8}T\d{6}Z)-/.exec(object.key);
    if (!match) continue;
    const since = timeOfBackupId(match[1]!).getTime();
    if (now - since < staleMs) return object.key;
  }
  return undefined;
}

/** Waits while a retention is removing things from the repository (it may be removing this backup). */
export async function awaitRetention(
  deps: Pick<BackupServiceDeps, 'clock' | 'log'>,
  repository: Repository,
): Promise<void> {
  let told = false;
  while (await activeLock(deps, repository, 'retention')) {
    if (!told)
      deps.log.info(
        { repository: repository.name },
        'a retention is running in this repository; the restore waits for it to end',
      );
    told = true;
    await sleep(lockPollMs);
  }
}
