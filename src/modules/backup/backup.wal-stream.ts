import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../platform/clock/clock.js';
import { loadBackupKey, type BackupKey } from '../../platform/crypto/backup-key.js';
import { seal } from '../../platform/crypto/sealed.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import type { Logger } from '../../platform/log/log.js';
import { identifySystem } from '../../platform/postgres/replication.js';
import { formatLsn, openWalStream, parseLsn, type WalChunk, type WalStream } from '../../platform/postgres/wal-stream.js';
import { walKey } from './backup.catalog.js';
import type { Repository } from './backup.service.js';
import { segmentBytes, segmentOf } from './backup.wal-plan.js';

export interface WalStreamerDeps {
  /** The primary, as a role allowed to replicate. */
  readonly source: ConnectionTarget;
  readonly repositories: readonly Repository[];
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often the segment being written is stored, as far as it goes. Default 1 s: the RPO. */
  readonly uploadIntervalMs?: number;
}

export interface WalStreamStatus {
  readonly connected: boolean;
  /** How far the WAL is stored in at least one repository. */
  readonly storedLsn?: string;
  readonly storedAt?: string;
  readonly lastError?: string;
}

interface Segment {
  readonly name: string;
  readonly start: bigint;
  readonly buffer: Buffer;
  /** Bytes of the segment received so far (from its start). */
  end: number;
  /** Per repository: the partial object stored last, and how far it goes. */
  readonly stored: Map<string, { key: string; end: number }>;
}

/** `<segment>.<bytes, 8 hex digits>.partial`: how far a partial copy of a segment goes is in its name. */
export const partialName = (segment: string, bytes: number): string => `${segment}.${bytes.toString(16).toUpperCase().padStart(8, '0')}.partial`;
export const partialPattern = /^([0-9A-F]{24})\.([0-9A-F]{8})\.partial$/;

/**
 * Streams the WAL as the primary writes it (as Barman's streaming does) and stores the
 * segment being written in every repository, as far as it goes, every second: what a lost
 * primary disk costs drops from archive_timeout to about a second. Finished segments still
 * reach the repositories whole through archive_command and the pusher; a partial copy is
 * removed once the whole segment is there. Restores use a partial copy only where the whole
 * segment is missing (the last moments before a loss).
 */
export class WalStreamer {
  private current: Segment | undefined;
  private retired: Array<{ segment: Segment; since: number }> = [];
  private stream: WalStream | undefined;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private uploading: Promise<void> | undefined;
  private key: BackupKey | undefined;
  private stopped = false;
  private state: { connected: boolean; storedLsn?: string; storedAt?: string; lastError?: string } = { connected: false };

  constructor(private readonly deps: WalStreamerDeps) {}

  start(): void {
    this.loop = this.run();
    this.timer = setInterval(() => void this.tick(), this.deps.uploadIntervalMs ?? 1000);
  }

  /**
   * Stops streaming, after storing what was received unless `flush` is false (a test or
   * benchmark playing the machine's death: what was only in this process's memory is lost).
   */
  async stop(options: { flush?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.stream?.close();
    await this.loop;
    await this.uploading;
    if (options.flush === false) return;
    await this.tick();
    await this.uploading;
  }

  status(): WalStreamStatus {
    return { ...this.state };
  }

  private async run(): Promise<void> {
    const { source, log } = this.deps;
    let failures = 0;
    while (!this.stopped) {
      try {
        const identity = await identifySystem(source);
        const position = parseLsn(identity.walPosition);
        // From the start of the segment being written, so its partial copy is whole from byte 0.
        const start = position - (position % BigInt(segmentBytes));
        this.stream = await openWalStream(source, { start, timeline: identity.timeline, applicationName: 'steadfast-wal-stream' });
        if (this.stopped) break;
        this.state.connected = true;
        if (failures > 0) log.info('WAL streaming resumed');
        failures = 0;
        this.timeline = identity.timeline;
        for await (const chunk of this.stream.chunks) this.accept(chunk);
      } catch (error) {
        failures++;
        this.state.lastError = (error as Error).message;
        if (failures === 1 && !this.stopped) log.warn({ err: error }, 'WAL streaming stopped; retrying (archiving goes on through archive_command)');
      } finally {
        this.state.connected = false;
        await this.stream?.close();
      }
      if (!this.stopped) await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
    }
  }

  private timeline = 1;

  /** Copies received WAL into the segment it belongs to; a new segment retires the previous one. */
  private accept(chunk: WalChunk): void {
    let offset = 0;
    while (offset < chunk.data.length) {
      const at = chunk.start + BigInt(offset);
      const segmentStart = at - (at % BigInt(segmentBytes));
      const name = segmentOf(formatLsn(segmentStart), this.timeline); // a new timeline is a new segment, too
      if (this.current?.name !== name) {
        if (this.current) this.retired.push({ segment: this.current, since: this.deps.clock.now().getTime() });
        this.current = { name, start: segmentStart, buffer: Buffer.alloc(segmentBytes), end: 0, stored: new Map() };
      }
      const within = Number(at - segmentStart);
      const take = Math.min(chunk.data.length - offset, segmentBytes - within);
      chunk.data.copy(this.current.buffer, within, offset, offset + take);
      this.current.end = Math.max(this.current.end, within + take);
      offset += take;
      if (this.current.end === segmentBytes) {
        // Finished (filled, or closed by a switch): from now on the archive brings it whole.
        this.retired.push({ segment: this.current, since: this.deps.clock.now().getTime() });
        this.current = undefined;
      }
    }
  }

  /** Stores the current segment as far as it goes (one upload at a time), and tidies up. */
  private tick(): Promise<void> {
    if (this.uploading) return this.uploading;
    this.uploading = this.storeAndTidy()
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'storing streamed WAL failed'))
      .finally(() => (this.uploading = undefined));
    return this.uploading;
  }

  private async storeAndTidy(): Promise<void> {
    // A segment just finished still has only its partial copy until the pusher stores it whole.
    for (const { segment: old } of this.retired) await this.store(old, true);
    if (this.current) await this.store(this.current, false);
    await this.tidy();
  }

  /** Stores the segment as far as it goes in each repository behind; a finished one only where the pusher has not stored it whole yet. */
  private async store(segment: Segment, finished: boolean): Promise<void> {
    const end = segment.end;
    const behind = this.deps.repositories.filter((repository) => (segment.stored.get(repository.name)?.end ?? 0) < end);
    const pending = finished ? (await Promise.all(behind.map(async (repository) => ((await holdsWhole(repository, segment.name)) ? undefined : repository)))).filter((r): r is Repository => r !== undefined) : behind;
    if (pending.length === 0) return;
    this.key ??= (await loadBackupKey(this.deps.keyFile, { create: true })).key;
    const name = partialName(segment.name, end);
    const objectKey = walKey(name);
    const bytes = segment.buffer.subarray(0, end); // only appended to beyond `end`: safe to read while streaming goes on
    let stored = false;
    for (const repository of pending) {
      try {
        await repository.store.put(objectKey, seal(once(bytes), this.key, objectKey));
        const previous = segment.stored.get(repository.name);
        segment.stored.set(repository.name, { key: objectKey, end });
        if (previous && previous.key !== objectKey) await repository.store.delete(previous.key).catch(() => undefined);
        stored = true;
      } catch (error) {
        this.state.lastError = `${repository.name}: ${(error as Error).message}`;
      }
    }
    if (stored) {
      const lsn = segment.start + BigInt(end);
      this.state.storedLsn = formatLsn(lsn);
      this.state.storedAt = this.deps.clock.now().toISOString();
      this.stream?.acknowledge(lsn);
    }
  }

  /** Removes partial copies of segments each repository now holds whole. */
  private async tidy(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const keep: typeof this.retired = [];
    for (const entry of this.retired) {
      if (now - entry.since < 2000) {
        keep.push(entry);
        continue;
      }
      for (const repository of this.deps.repositories) {
        const partial = entry.segment.stored.get(repository.name);
        if (!partial) continue;
        if (await holdsWhole(repository, entry.segment.name)) {
          await repository.store.delete(partial.key).catch(() => undefined);
          entry.segment.stored.delete(repository.name);
        }
      }
      // Kept while some repository has only the partial copy: it is all that repository has of that WAL.
      if (entry.segment.stored.size > 0 && now - entry.since < 24 * 3600_000) keep.push(entry);
    }
    this.retired = keep;
  }
}

async function holdsWhole(repository: Repository, segment: string): Promise<boolean> {
  const whole = walKey(segment);
  return (await repository.store.list(whole).catch(() => [])).some((object) => object.key === whole);
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
