import { chown, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/log.js';
import { isSegmentName } from './lsn.js';
import type { RunAs } from './os-user.js';

/** Where a recovery gets archived WAL from (the backup module's repositories). */
export interface WalSupplier {
  /** The archived file, or undefined when the archive holds none by that name (for recovery: the end of the WAL). */
  open(file: string): AsyncIterable<Buffer> | undefined;
  /** Up to `count` files recovery will most likely ask for after `file`, in order: fetched ahead. */
  following(file: string, count: number): string[];
}

/** How many segments are fetched ahead of the one recovery replays (16 MiB each). */
const fetchAhead = 4;
const pollMs = 10;
/** A repository that sends nothing for this long has stalled: the file fails rather than recovery waiting forever (pgBackRest's io-timeout is 60 s too). */
const defaultIoTimeoutMs = 60_000;

type Fetched = 'stored' | 'missing' | Error;

export interface WalFeedOptions {
  readonly owner?: RunAs | undefined;
  readonly log: Logger;
  /** How long a fetch may go without receiving a byte; 60 s unless a test says otherwise. */
  readonly ioTimeoutMs?: number;
  /**
   * The restored data directory's pg_wal: a segment the backup carries there is answered "not
   * archived" when its archived copy cannot be read, so PostgreSQL reads its own copy instead.
   */
  readonly localWal?: string | undefined;
}

/**
 * Hands archived WAL to PostgreSQL's restore_command one file at a time, as recovery asks for
 * it, fetching a few segments ahead. restore_command (see `restoreCommand`) asks by creating
 * `.want-<file>` in the directory (again whenever the request is gone while it waits, so no
 * request is lost to a race with an answer to an earlier one) and waits for `<file>`,
 * `<file>.missing` (not archived: the end of the WAL) or `<file>.failed` (it could not be read:
 * recovery must stop with an error).
 * So recovery reads only what it asks for (a damaged segment past its target at most as
 * read-ahead, see restoreCommand), and the directory holds a few segments, not the whole archive.
 */
export class WalFeed {
  private readonly files = new Map<string, Promise<Fetched>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private firstFailure: Error | undefined;
  /** The files recovery was handed (not those read ahead and never asked for). */
  private readonly handed = new Set<string>();
  /** Aborts the fetches still running when the feed stops (read-ahead recovery never asked for). */
  private readonly stopping = new AbortController();
  private readonly owner: RunAs | undefined;
  private readonly log: Logger;
  private readonly ioTimeoutMs: number;
  private readonly localWal: string | undefined;
  private breakDown: ((error: Error) => void) | undefined;
  /**
   * Rejects when the feed cannot work its directory any more: restore_command would then wait
   * for an answer that never comes, so recovery must stop instead (see runRecovery).
   */
  readonly broken: Promise<never>;

  constructor(
    private readonly dir: string,
    private readonly supplier: WalSupplier,
    options: WalFeedOptions,
  ) {
    this.owner = options.owner;
    this.log = options.log;
    this.ioTimeoutMs = options.ioTimeoutMs ?? defaultIoTimeoutMs;
    this.localWal = options.localWal;
    this.broken = new Promise<never>((_, reject) => (this.breakDown = reject));
    this.broken.catch(() => undefined);
  }

  /** The first file that could not be read and recovery asked for: why recovery stopped. */
  get failure(): Error | undefined {
    return this.firstFailure;
  }

  /** How many archived files recovery was handed (each once, however often it asked). */
  get handedOver(): number {
    return this.handed.size;
  }

  start(): void {
    this.schedule();
  }

  /** Stops answering and abandons the fetches still running; resolves once none writes any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.polling;
    await Promise.all(this.files.values());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().then(
        () => this.schedule(),
        (error: unknown) => {
          if (this.stopped) return;
          this.log.error(
            { err: error, dir: this.dir },
            'WAL feed: its directory cannot be worked; recovery is stopped',
          );
          this.breakDown?.(new Error(`the WAL directory ${this.dir} cannot be worked: ${(error as Error).message}`));
        },
      );
    }, pollMs);
  }

  private async poll(): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (!entry.startsWith('.want-')) continue;
      const file = entry.slice('.want-'.length);
      await rm(path.join(this.dir, entry), { force: true });
      // Whatever goes wrong, restore_command gets an answer: it waits for one.
      await this.serve(file).catch((error: unknown) => this.fail(file, error as Error));
    }
  }

  /** One file recovery asks for: fetched (or already fetched ahead), the next ones started, the ones before it dropped. */
  private async serve(file: string): Promise<void> {
    const ahead = this.supplier.following(file, fetchAhead);
    await this.forgetBefore(file);
    let outcome = await this.fetch(file);
    if (outcome instanceof Error) {
      this.files.delete(file); // fetched ahead and failed: once more, now that it is needed
      outcome = await this.fetch(file);
    }
    for (const next of ahead) void this.fetch(next);
    if (outcome === 'stored') this.handed.add(file);
    else if (outcome === 'missing') await this.mark(file, 'missing', '');
    else if (outcome instanceof Error && (await this.heldLocally(file))) {
      this.log.warn(
        { file, err: outcome },
        'the archived copy of a WAL file cannot be read; recovery reads the copy the backup carries',
      );
      await this.mark(file, 'missing', '');
    } else if (outcome instanceof Error) await this.fail(file, outcome);
  }

  private async heldLocally(file: string): Promise<boolean> {
    if (!this.localWal || !isSegmentName(file)) return false;
    return stat(path.join(this.localWal, file)).then(
      (found) => found.isFile(),
      () => false,
    );
  }

  private async fail(file: string, error: Error): Promise<void> {
    this.firstFailure ??= error;
    // Recovery decides whether it needed the file: one read ahead past a target is not (see restoreCommand).
    this.log.warn({ file, err: error }, 'recovery asked for a WAL file that cannot be read');
    await this.mark(file, 'failed', error.message);
  }

  private fetch(file: string): Promise<Fetched> {
    let fetching = this.files.get(file);
    if (!fetching) {
      fetching = this.store(file);
      this.files.set(file, fetching);
    }
    return fetching;
  }

  private async store(file: string): Promise<Fetched> {
    const temporary = path.join(this.dir, `.fetching-${file}`);
    try {
      const body = this.supplier.open(file);
      if (!body) return 'missing';
      await this.copy(file, body, temporary);
      if (this.owner) await chown(temporary, this.owner.uid, this.owner.gid);
      await rename(temporary, path.join(this.dir, file));
      return 'stored';
    } catch (error) {
      await rm(temporary, { force: true });
      return error as Error;
    }
  }

  /**
   * Writes `body` to `path`, giving up when the source sends nothing for ioTimeoutMs or the feed
   * stops. Each chunk is raced against both, so a source stuck in a read cannot hold the feed:
   * it is told to close (iterator.return) and left to do so in its own time.
   */
  private async copy(file: string, body: AsyncIterable<Buffer>, target: string): Promise<void> {
    const iterator = body[Symbol.asyncIterator]();
    const handle = await open(target, 'w', 0o600);
    try {
      for (;;) {
        const next = await this.withinTimeout(file, iterator.next()).catch((error: unknown) => {
          void iterator.return?.()?.catch(() => undefined);
          throw error;
        });
        if (next.done) return;
        await handle.write(next.value);
      }
    } finally {
      await handle.close();
    }
  }

  private withinTimeout<T>(file: string, step: Promise<T>): Promise<T> {
    step.catch(() => undefined); // abandoned below, its failure is nobody's to report
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.reject(new Error(`fetching ${file} was abandoned: the recovery is over`));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the repository sent nothing of ${file} for ${this.ioTimeoutMs / 1000} s`)),
        this.ioTimeoutMs,
      );
      onAbort = () => reject(new Error(`fetching ${file} was abandoned: the recovery is over`));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([step, giveUp]).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort!);
    });
  }

  /**
   * Removes fetched segments recovery has passed, keeping the four just before `file`: at the end
   * of the WAL recovery reads the segment it stopped in again, and with its read-ahead that may be
   * a few behind the newest it asked for (keeping only one lost it, rarely, mid-copy). One it asks
   * for again after that is fetched again.
   */
  private async forgetBefore(file: string): Promise<void> {
    if (!isSegmentName(file)) return;
    const passed = [...this.files.keys()].filter((known) => isSegmentName(known) && known < file).sort();
    for (const known of passed.slice(0, -keptBehind)) {
      const fetching = this.files.get(known)!;
      this.files.delete(known);
      if ((await fetching) === 'stored') await rm(path.join(this.dir, known), { force: true });
    }
  }

  private async mark(file: string, kind: 'missing' | 'failed', text: string): Promise<void> {
    const marker = path.join(this.dir, `${file}.${kind}`);
    await writeFile(marker, text);
    if (this.owner) await chown(marker, this.owner.uid, this.owner.gid);
  }
}

/** Passed segments kept for recovery to read again (see forgetBefore). */
const keptBehind = 4;
/** How often restore_command tries to copy a file that is there before it gives up (a full disk, say). */
const copyAttempts = 20;

/**
 * restore_command for a `WalFeed` in `dir`: asks for the file and waits for the feed's answer.
 * Exit 1 means "not archived": recovery ends there (or tries the next timeline). A file that
 * could not be read exits 255 when `unreadable` is `stop`, which makes recovery stop with an
 * error instead of ending early; with `end` (a recovery to a target) it ends recovery like a
 * missing file, because PostgreSQL reads WAL ahead of the record it applies: a damaged file past
 * the target must not fail a recovery that reaches the target, and one before it ends recovery
 * short of the target, which PostgreSQL reports as an error.
 */

export function restoreCommand(dir: string, unreadable: 'stop' | 'end'): string {
  if (/['\n]/.test(dir)) throw new Error(`the WAL directory may not contain quotes or newlines: ${dir}`);
  const d = `'${dir}'`;
  return [
    `n=0; while :; do`,
    `[ -e ${d}/".want-%f" ] || : > ${d}/".want-%f" || exit 255;`,
    // A copy can fail because the feed dropped the file meanwhile (see forgetBefore): asking again fetches it again.
    `if [ -f ${d}/"%f" ]; then cp ${d}/"%f" "%p" && exit 0; n=$((n+1)); [ $n -lt ${copyAttempts} ] || exit 255; fi;`,
    `if [ -f ${d}/"%f.missing" ]; then exit 1; fi;`,
    `if [ -f ${d}/"%f.failed" ]; then exit ${unreadable === 'stop' ? 255 : 1}; fi;`,
    `sleep 0.01; done`,
  ].join(' ');
}
