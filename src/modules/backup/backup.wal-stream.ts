import type { Clock } from '../../platform/clock/clock.js';
import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { seal } from '../../platform/crypto/sealed.js';
import type { Logger } from '../../platform/log/log.js';
import { formatLsn, parseLsn } from '../../platform/postgres/lsn.js';
import { claimRepository, walFileOf, walKey, walSystemIdentifier } from './backup.catalog.js';
import { backupKey } from './backup.keys.js';
import type { Repository } from './backup.ports.js';
import { partialName } from './backup.wal-pieces.js';
import { segmentEnding, segmentStartLsn } from './backup.wal-plan.js';

export interface WalStreamerDeps {
  /** Where Postgres flushed its WAL to: the end position and the segment file holding it. */
  readonly flushPosition: () => Promise<{ lsn: string; segment: string }>;
  /** Bytes `from`..`to` of a segment file in pg_wal, or undefined once the file is gone (recycled after archiving). */
  readonly readWal: (segment: string, from: number, to: number) => Promise<Buffer | undefined>;
  readonly repositories: readonly Repository[];
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often what was flushed is stored. Default 1 s: the RPO. */
  readonly uploadIntervalMs?: number;
  /** Releases what flushPosition holds (its connection), on stop. */
  readonly close?: () => Promise<void>;
}

export interface WalStreamStatus {
  /** Whether the last look at the WAL worked. */
  readonly connected: boolean;
  /** How far the WAL is stored in at least one repository. */
  readonly storedLsn?: string;
  readonly storedAt?: string;
  readonly lastError?: string;
}

interface Segment {
  readonly name: string;
  /** How far the segment is flushed (bytes from its start). */
  end: number;
  /** Per repository: how far its pieces of this segment reach, and their keys (to remove them later). */
  readonly stored: Map<string, { end: number; keys: string[] }>;
}

const maxRetired = 64;
const tidyEveryMs = 5000;

/**
 * Keeps the WAL being written in the repositories, a second or two behind Postgres: every
 * second the bytes Postgres had flushed by the previous look are read from the segment file
 * in pg_wal and stored as a piece of that segment. What a lost primary disk costs drops from
 * archive_timeout to a second or two. Reading the file (rather than holding a walsender) costs
 * nothing per commit: only the WAL written is read, sealed and stored. Finished segments still
 * reach the repositories whole through archive_command and the pusher; the pieces of a segment
 * are removed once the whole segment is there. Restores use pieces only where the whole
 * segment is missing (the last moments before a loss).
 */
export class WalStreamer {
  private current: Segment | undefined;
  private retired: Segment[] = [];
  private timer: NodeJS.Timeout | undefined;
  private uploading: Promise<void> | undefined;
  private key: BackupKey | undefined;
  private lastTidy = 0;
  /** The cluster's system identifier, read from the first segment's header: repositories are claimed for it. */
  private systemIdentifier: string | undefined;
  private lastSeen: { segment: string; within: number } | undefined;
  private failing = false;
  private state: { connected: boolean; storedLsn?: string; storedAt?: string; lastError?: string } = {
    connected: false,
  };

  constructor(private readonly deps: WalStreamerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.uploadIntervalMs ?? 1000);
  }

  /**
   * Stops, after storing what was flushed unless `flush` is false (a test or benchmark
   * playing the machine's death: nothing more leaves it).
   */
  async stop(options: { flush?: boolean } = {}): Promise<void> {
    clearInterval(this.timer);
    await this.uploading;
    if (options.flush !== false) await this.tick(true);
    await this.deps.close?.();
  }

  status(): WalStreamStatus {
    return { ...this.state };
  }

  /** One look (never two at once): store what was flushed, now and then tidy up. */
  tick(immediate = false): Promise<void> {
    if (this.uploading) return this.uploading;
    this.uploading = this.pass(immediate)
      .then(
        () => {
          if (this.failing) this.deps.log.info('storing the WAL being written works again');
          this.failing = false;
          this.state.connected = true;
        },
        (error: unknown) => {
          this.state.connected = false;
          this.state.lastError = (error as Error).message;
          if (!this.failing)
            this.deps.log.warn(
              { err: error },
              'cannot store the WAL being written; archiving goes on through archive_command',
            );
          this.failing = true;
        },
      )
      .finally(() => (this.uploading = undefined));
    return this.uploading;
  }

  /**
   * Stores the bytes of the segment being written that were already flushed at the previous
   * look (`immediate`: all flushed now). The delay of one look is what keeps the cost down
   * under heavy writes: a segment that fills within a second reaches the repositories whole,
   * through the archive, about as soon, so its bytes are not sealed and stored twice; a quiet
   * segment's bytes are stored a second or two after their commit.
   */
  private async pass(immediate: boolean): Promise<void> {
    const position = await this.deps.flushPosition();
    // The segment holding the last byte flushed, on the timeline PostgreSQL names: an end exactly on
    // a boundary closes the segment before it (PostgreSQL 18's pg_walfile_name names the one after,
    // whose file then holds only what a recycled segment left).
    const seen = segmentEnding(parseLsn(position.lsn), parseInt(position.segment.slice(0, 8), 16));
    const segment = seen.segment;
    const ready = immediate ? seen : this.lastSeen;
    this.lastSeen = seen;
    if (this.current && this.current.name !== segment) {
      this.retire(this.current); // Postgres moved on: the archive brings that segment whole
      this.current = undefined;
    }
    this.current ??= { name: segment, end: 0, stored: new Map() };
    if (ready?.segment === segment) {
      this.current.end = Math.max(this.current.end, ready.within);
      await this.store(this.current);
    }
    if (this.deps.clock.now().getTime() - this.lastTidy >= tidyEveryMs) {
      this.lastTidy = this.deps.clock.now().getTime();
      await this.tidy();
    }
  }

  private retire(segment: Segment): void {
    this.retired.push(segment);
    // Bounded: pieces of segments dropped from the list are left to retention.
    this.retired.splice(0, Math.max(0, this.retired.length - maxRetired));
  }

  /** Stores, in each repository, the flushed bytes of the segment it does not have yet. */
  private async store(segment: Segment): Promise<void> {
    const end = segment.end;
    const behind = this.deps.repositories.filter((repository) => (segment.stored.get(repository.name)?.end ?? 0) < end);
    if (behind.length === 0) return;
    const from = Math.min(...behind.map((repository) => segment.stored.get(repository.name)?.end ?? 0));
    const bytes = await this.deps.readWal(segment.name, from, end);
    if (!bytes) return; // recycled: it was archived whole before Postgres let it go
    const key = await this.sealingKey();
    this.systemIdentifier ??= walSystemIdentifier((await this.deps.readWal(segment.name, 0, 40)) ?? Buffer.alloc(0));
    let storedSomewhere = false;
    for (const repository of behind) {
      const have = segment.stored.get(repository.name) ?? { end: 0, keys: [] };
      const objectKey = walKey(partialName(segment.name, have.end, end));
      try {
        if (this.systemIdentifier) await claimRepository(repository.store, this.systemIdentifier);
        await repository.store.put(
          objectKey,
          seal(once(bytes.subarray(have.end - from)), key, objectKey, { cluster: this.systemIdentifier }),
        );
        segment.stored.set(repository.name, { end, keys: [...have.keys, objectKey] });
        storedSomewhere = true;
      } catch (error) {
        this.state.lastError = `${repository.name}: ${(error as Error).message}`;
      }
    }
    if (storedSomewhere) {
      const lsn = segmentStartLsn(segment.name) + BigInt(end);
      if (!this.state.storedLsn || parseLsn(this.state.storedLsn) < lsn) {
        this.state.storedLsn = formatLsn(lsn);
        this.state.storedAt = this.deps.clock.now().toISOString();
      }
    }
  }

  /** Removes the pieces of finished segments each repository now holds whole: one listing per repository. */
  private async tidy(): Promise<void> {
    if (this.retired.length === 0) return;
    for (const repository of this.deps.repositories) {
      const waiting = this.retired.filter((segment) => segment.stored.has(repository.name));
      if (waiting.length === 0) continue;
      const prefixes = [...new Set(waiting.map((segment) => `wal/${segment.name.slice(0, 16)}`))];
      const whole = new Set<string>();
      for (const prefix of prefixes)
        for (const object of await repository.store.list(prefix).catch(() => [])) whole.add(walFileOf(object.key));
      for (const segment of waiting) {
        if (!whole.has(segment.name)) continue;
        for (const key of segment.stored.get(repository.name)!.keys)
          await repository.store.delete(key).catch(() => undefined);
        segment.stored.delete(repository.name);
      }
    }
    // Kept while some repository has only the pieces: they are all it has of that WAL (retention sweeps them later).
    this.retired = this.retired.filter((segment) => segment.stored.size > 0);
  }

  private async sealingKey(): Promise<BackupKey> {
    return (this.key ??= await backupKey(this.deps, true));
  }
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
