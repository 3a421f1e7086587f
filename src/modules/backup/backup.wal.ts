import type { Clock } from '../../platform/clock/clock.js';
import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { seal, unseal } from '../../platform/crypto/sealed.js';
import { appError, isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { readWhole, type ObjectStore } from '../../platform/storage/store.js';
import { claimedBy, claimRepository, walKey, walSystemIdentifier } from './backup.catalog.js';
import { backupKey } from './backup.keys.js';
import type { Repository } from './backup.ports.js';

export interface WalPusherDeps {
  /** The spool archive_command copies finished WAL files into. */
  readonly spool: ObjectStore;
  readonly repositories: readonly Repository[];
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often the spool is looked at. */
  readonly pollMs?: number;
}

export interface ArchiveStatus {
  /** WAL files waiting in the spool. */
  readonly spooled: number;
  /** When the pusher first saw the oldest file still waiting (within a poll of its arrival); absent when none waits. */
  readonly oldestWaitingSince?: string;
  readonly repositories: Array<{
    readonly name: string;
    readonly lastArchived?: string;
    readonly lastArchivedAt?: string;
    readonly failingSince?: string;
    readonly lastError?: string;
  }>;
}

/** Where the pusher keeps each repository's archiving state for `steadfast status`, in the spool (a hidden file, never pushed). */
export const archiveStateKey = '.archive-state.json';

/** What `steadfast status` reads of the pusher: the repositories WAL archiving fails for. */
export interface SavedArchiveState {
  readonly savedAt: string;
  readonly failing: Array<{ readonly repository: string; readonly since: string; readonly error?: string }>;
}

/** The pusher's saved state, if it saved one (a platform that never ran archiving has none). */
export async function readArchiveState(spool: ObjectStore): Promise<SavedArchiveState | undefined> {
  const body = await readWhole(spool, archiveStateKey);
  return body && (JSON.parse(body.toString('utf8')) as SavedArchiveState);
}

interface RepositoryState {
  lastArchived?: string;
  lastArchivedAt?: string;
  failingSince?: string;
  lastError?: string;
  retryAt: number;
  failures: number;
}

/**
 * The resident pusher: copies each WAL file from the local spool to every repository,
 * each repository at its own pace, and removes it from the spool only once every
 * repository has it. A repository that fails is retried with backoff and catches up
 * when it returns; the others are not held up.
 */
export class WalPusher {
  private readonly state = new Map<string, RepositoryState>();
  /** Spool file -> repositories that already hold it. */
  private readonly held = new Map<string, Set<string>>();
  /** Spool file -> when the pusher first saw it there, in the order they were seen (the oldest first). */
  private readonly seenAt = new Map<string, number>();
  private key: BackupKey | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  /** The last state save, so saves never overlap. */
  private saved: Promise<void> = Promise.resolve();

  constructor(private readonly deps: WalPusherDeps) {
    for (const repository of deps.repositories) this.state.set(repository.name, { retryAt: 0, failures: 0 });
  }

  start(): void {
    this.saved = this.saveState(); // a fresh start: whatever an earlier run saw failing is retried now
    this.schedule(0);
  }

  /** Stops polling, then pushes what is left for at most `drainMs` (the WAL of a shutdown). */
  async stop(drainMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const deadline = this.deps.clock.now().getTime() + drainMs;
    while (this.deps.clock.now().getTime() < deadline && (await this.pass()) > 0) {
      // keep going while files leave the spool
    }
    await this.saved;
    await Promise.all(this.deps.repositories.map((repository) => repository.store.close?.()));
  }

  /** One look at the spool; returns how many files were completed (stored everywhere). */
  async pass(): Promise<number> {
    if (this.running) return this.running;
    this.running = this.push().finally(() => (this.running = undefined));
    return this.running;
  }

  async status(): Promise<ArchiveStatus> {
    const spooled = (await this.spooled()).length;
    const oldestSeenAt = this.seenAt.values().next().value;
    return {
      spooled,
      oldestWaitingSince: oldestSeenAt === undefined ? undefined : new Date(oldestSeenAt).toISOString(),
      repositories: [...this.state].map(([name, state]) => ({
        name,
        lastArchived: state.lastArchived,
        lastArchivedAt: state.lastArchivedAt,
        failingSince: state.failingSince,
        lastError: state.lastError,
      })),
    };
  }

  private async push(): Promise<number> {
    const { clock, repositories, spool } = this.deps;
    const key = (this.key ??= await backupKey(this.deps, true));
    let completed = 0;
    for (const file of await this.spooled()) {
      const held = this.held.get(file) ?? new Set<string>();
      this.held.set(file, held);
      const cluster = await this.systemIdentifierOf(file);
      for (const repository of repositories) {
        const state = this.state.get(repository.name)!;
        if (held.has(repository.name) || state.retryAt > clock.now().getTime()) continue;
        if (await this.pushTo(repository, state, { file, cluster, key })) held.add(repository.name);
      }
      if (held.size === repositories.length) {
        await spool.delete(file);
        this.held.delete(file);
        completed++;
      }
    }
    await this.saved;
    return completed;
  }

  /** Stores one spooled file in one repository: whether it is there now. A failure is recorded and retried later, with backoff. */
  private async pushTo(
    repository: Repository,
    state: RepositoryState,
    what: { file: string; cluster: string | undefined; key: BackupKey },
  ): Promise<boolean> {
    const { clock, log, spool } = this.deps;
    const { file, cluster, key } = what;
    try {
      // WAL of another cluster must never overwrite this repository's (nor this cluster's another's).
      if (cluster) await claimRepository(repository.store, cluster);
      // An archived segment is never written over: the same bytes are already stored; others are refused.
      // A history file has no header to tell its cluster: the repository's claim does.
      const bindTo = cluster ?? claimedBy(repository.store);
      const stored = await storedCopy(repository, file, key, bindTo);
      if (stored === undefined)
        await repository.store.put(walKey(file), seal(spool.get(file), key, walKey(file), { cluster: bindTo }));
      else await refuseIfDifferent(repository.name, file, stored, await readWhole(spool, file));
    } catch (error) {
      state.failures++;
      state.retryAt = clock.now().getTime() + Math.min(60_000, 1000 * 2 ** state.failures);
      state.lastError = (error as Error).message;
      if (!state.failingSince) {
        state.failingSince = clock.now().toISOString();
        log.error(
          { repository: repository.name, err: error, file },
          'WAL archiving to this repository fails; WAL is kept in the spool until it recovers',
        );
        this.stateChanged();
      }
      return false;
    }
    const recovered = Boolean(state.failingSince);
    if (recovered)
      log.warn(
        { repository: repository.name, since: state.failingSince },
        'WAL archiving to this repository works again; catching up',
      );
    Object.assign(state, {
      lastArchived: file,
      lastArchivedAt: clock.now().toISOString(),
      failingSince: undefined,
      lastError: undefined,
      failures: 0,
      retryAt: 0,
    });
    if (recovered) this.stateChanged();
    return true;
  }

  /** Saves which repositories fail (after the saves before it), for `steadfast status` in another process. */
  private stateChanged(): void {
    this.saved = this.saved.then(() => this.saveState());
  }

  private async saveState(): Promise<void> {
    const failing = [...this.state]
      .filter(([, state]) => state.failingSince)
      .map(([repository, state]) => ({ repository, since: state.failingSince!, error: state.lastError }));
    const saved: SavedArchiveState = { savedAt: this.deps.clock.now().toISOString(), failing };
    try {
      await this.deps.spool.put(
        archiveStateKey,
        (async function* () {
          yield Buffer.from(JSON.stringify(saved));
        })(),
      );
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not save the WAL archiving state for "steadfast status"');
    }
  }

  /** The system identifier in a spooled segment's header (undefined for history and backup-label files). */
  private async systemIdentifierOf(file: string): Promise<string | undefined> {
    if (!/^[0-9A-F]{24}(\.partial)?$/.test(file)) return undefined;
    for await (const head of this.deps.spool.get(file)) return walSystemIdentifier(head);
    return undefined;
  }

  private async spooled(): Promise<string[]> {
    const files = (await this.deps.spool.list(''))
      .map((object) => object.key)
      .filter((name) => !name.startsWith('.') && !name.includes('/'))
      .sort();
    this.noteArrivals(files);
    return files;
  }

  /** Notes when each spooled file was first seen, and forgets the files that have left the spool. */
  private noteArrivals(files: readonly string[]): void {
    const present = new Set(files);
    for (const file of this.seenAt.keys()) if (!present.has(file)) this.seenAt.delete(file);
    const now = this.deps.clock.now().getTime();
    for (const file of files) if (!this.seenAt.has(file)) this.seenAt.set(file, now);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pass()
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'WAL push pass failed'))
        .finally(() => this.schedule(this.deps.pollMs ?? 500));
    }, delayMs);
  }
}

/** The plaintext of `file` as a repository holds it, or undefined when it holds none; unreadable: the reason. */
async function storedCopy(
  repository: Repository,
  file: string,
  key: BackupKey,
  cluster: string | undefined,
): Promise<Buffer | Error | undefined> {
  const chunks: Buffer[] = [];
  try {
    const expected = { cluster, where: repository.name };
    for await (const chunk of unseal(repository.store.get(walKey(file)), key, walKey(file), expected))
      chunks.push(chunk);
  } catch (error) {
    if (isAppError(error) && error.code === 'BACKUP_NOT_FOUND') return undefined;
    if (isAppError(error) && error.code === 'REPOSITORY_UNAVAILABLE') throw error;
    return error as Error;
  }
  return Buffer.concat(chunks);
}

/**
 * A segment already archived is accepted when it holds the same bytes (a retry after a crash
 * between storing and freeing the spool); anything else is refused, never stored over: two
 * primaries of one cluster wrote the same segment differently (an old primary still archiving
 * after a failover), and the one in the repository is what restores and standbys replay.
 */
function refuseIfDifferent(
  repository: string,
  file: string,
  stored: Buffer | Error,
  spooled: Buffer | undefined,
): void {
  if (spooled !== undefined && Buffer.isBuffer(stored) && stored.equals(spooled)) return;
  throw appError(
    'WAL_CONFLICT',
    `${file} is already archived in ${repository} with other contents${
      Buffer.isBuffer(stored) ? '' : ` (it cannot be read: ${(stored as Error).message})`
    }; it is not written over. Another primary of this cluster archived it (an old primary still running after a failover?): stop the server that should not be primary; the copy in the spool is kept for you to compare.`,
  );
}
