import type { Clock } from '../../platform/clock/clock.js';
import { loadBackupKey, type BackupKey } from '../../platform/crypto/backup-key.js';
import { seal } from '../../platform/crypto/sealed.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import type { Logger } from '../../platform/log/log.js';
import { identifySystem } from '../../platform/postgres/replication.js';
import { formatLsn, openWalStream, parseLsn, type WalChunk, type WalStream } from '../../platform/postgres/wal-stream.js';
import { assertKeyFitsRepositories, walFileOf, walKey } from './backup.catalog.js';
import type { Repository } from './backup.service.js';
import { segmentBytes, segmentOf } from './backup.wal-plan.js';

export interface WalStreamerDeps {
  /** The primary, as a role allowed to replicate. */
  readonly source: ConnectionTarget;
  readonly repositories: readonly Repository[];
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often what arrived is stored. Default 1 s: the RPO. */
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
  /** The segment's bytes as received; dropped once it is finished and stored. */
  buffer: Buffer | undefined;
  /** Bytes of the segment received so far (from its start). */
  end: number;
  /** Per repository: how far its pieces of this segment reach, and their keys (to remove them later). */
  readonly stored: Map<string, { end: number; keys: string[] }>;
  finishedAt?: number;
}

/**
 * A piece of a segment as streamed: `<segment>.<from>-<to>.partial`, byte offsets in 8 hex
 * digits. Only new bytes are stored each time, so the cost follows the WAL written.
 */
export const partialName = (segment: string, from: number, to: number): string => `${segment}.${hex8(from)}-${hex8(to)}.partial`;
export const partialPattern = /^([0-9A-F]{24})\.([0-9A-F]{8})-([0-9A-F]{8})\.partial$/;
const hex8 = (value: number): string => value.toString(16).toUpperCase().padStart(8, '0');

export interface Piece {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

/** The pieces that make a segment's longest run from byte 0, in order, and how far it goes. */
export function chainOfPieces(pieces: readonly string[]): { pieces: Piece[]; end: number } {
  const parsed: Piece[] = [];
  for (const file of pieces) {
    const match = partialPattern.exec(file);
    if (match) parsed.push({ file, from: parseInt(match[2]!, 16), to: parseInt(match[3]!, 16) });
  }
  const chain: Piece[] = [];
  let end = 0;
  for (;;) {
    // At each position, the piece covering it that reaches furthest (pieces overlap after a reconnect).
    const next = parsed.filter((piece) => piece.from <= end && piece.to > end).sort((a, b) => b.to - a.to)[0];
    if (!next) return { pieces: chain, end };
    chain.push(next);
    end = next.to;
  }
}

const maxRetired = 64;
const tidyEveryMs = 5000;

/**
 * Streams the WAL as the primary writes it (as Barman's streaming does) and stores what
 * arrived in every repository every second, as pieces of the segment being written: what a
 * lost primary disk costs drops from archive_timeout to about a second. Finished segments
 * still reach the repositories whole through archive_command and the pusher; the pieces of a
 * segment are removed once the whole segment is there. Restores use pieces only where the
 * whole segment is missing (the last moments before a loss).
 */
export class WalStreamer {
  private current: Segment | undefined;
  private retired: Segment[] = [];
  private stream: WalStream | undefined;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private uploading: Promise<void> | undefined;
  private key: BackupKey | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private timeline = 1;
  private lastTidy = 0;
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
    this.abort.abort();
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
        // From the start of the segment being written, so its pieces run from byte 0.
        const start = position - (position % BigInt(segmentBytes));
        this.stream = await openWalStream(source, { start, timeline: identity.timeline, applicationName: 'steadfast-wal-stream' });
        if (this.stopped) break;
        this.state.connected = true;
        this.state.lastError = undefined;
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
      if (!this.stopped) await waitOrAbort(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), this.abort.signal);
    }
  }

  /** Copies received WAL into the segment it belongs to; a finished segment is retired. */
  private accept(chunk: WalChunk): void {
    let offset = 0;
    while (offset < chunk.data.length) {
      const at = chunk.start + BigInt(offset);
      const segmentStart = at - (at % BigInt(segmentBytes));
      const name = segmentOf(formatLsn(segmentStart), this.timeline); // a new timeline is a new segment, too
      if (this.current?.name !== name) {
        if (this.current) this.retire(this.current);
        this.current = { name, start: segmentStart, buffer: Buffer.alloc(segmentBytes), end: 0, stored: new Map() };
      }
      const within = Number(at - segmentStart);
      const take = Math.min(chunk.data.length - offset, segmentBytes - within);
      chunk.data.copy(this.current.buffer!, within, offset, offset + take);
      this.current.end = Math.max(this.current.end, within + take);
      offset += take;
      if (this.current.end === segmentBytes) {
        this.retire(this.current); // filled, or closed by a switch
        this.current = undefined;
      }
    }
  }

  private retire(segment: Segment): void {
    segment.finishedAt = this.deps.clock.now().getTime();
    this.retired.push(segment);
    // Bounded: a long archiving stall must not hold WAL in memory; what is dropped is left to retention.
    for (const dropped of this.retired.splice(0, Math.max(0, this.retired.length - maxRetired))) dropped.buffer = undefined;
  }

  /** Stores what arrived (one pass at a time), and now and then removes pieces no longer needed. */
  private tick(): Promise<void> {
    if (this.uploading) return this.uploading;
    this.uploading = this.storeAndTidy()
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'storing streamed WAL failed'))
      .finally(() => (this.uploading = undefined));
    return this.uploading;
  }

  private async storeAndTidy(): Promise<void> {
    // A finished segment's last piece first: until the pusher stores it whole, the pieces are all the repositories have.
    for (const segment of this.retired) {
      if (segment.buffer) await this.store(segment);
      segment.buffer = undefined;
    }
    if (this.current) await this.store(this.current);
    if (this.deps.clock.now().getTime() - this.lastTidy >= tidyEveryMs) {
      this.lastTidy = this.deps.clock.now().getTime();
      await this.tidy();
    }
  }

  /** Stores, in each repository, the bytes of the segment it does not have yet. */
  private async store(segment: Segment): Promise<void> {
    const end = segment.end;
    const buffer = segment.buffer;
    if (!buffer) return;
    let storedSomewhere = false;
    for (const repository of this.deps.repositories) {
      const have = segment.stored.get(repository.name) ?? { end: 0, keys: [] };
      if (have.end >= end) continue;
      try {
        const key = await this.sealingKey();
        const objectKey = walKey(partialName(segment.name, have.end, end));
        // Bytes below `end` are not written again while streaming goes on: safe to read during the upload.
        await repository.store.put(objectKey, seal(once(buffer.subarray(have.end, end)), key, objectKey));
        segment.stored.set(repository.name, { end, keys: [...have.keys, objectKey] });
        storedSomewhere = true;
      } catch (error) {
        this.state.lastError = `${repository.name}: ${(error as Error).message}`;
      }
    }
    if (storedSomewhere) {
      const lsn = segment.start + BigInt(end);
      if (!this.state.storedLsn || parseLsn(this.state.storedLsn) < lsn) {
        this.state.storedLsn = formatLsn(lsn);
        this.state.storedAt = this.deps.clock.now().toISOString();
        this.stream?.acknowledge(lsn);
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
      for (const prefix of prefixes) for (const object of await repository.store.list(prefix).catch(() => [])) whole.add(walFileOf(object.key));
      for (const segment of waiting) {
        if (!whole.has(segment.name)) continue;
        for (const key of segment.stored.get(repository.name)!.keys) await repository.store.delete(key).catch(() => undefined);
        segment.stored.delete(repository.name);
      }
    }
    // Kept while some repository has only the pieces: they are all it has of that WAL (retention sweeps them later).
    this.retired = this.retired.filter((segment) => segment.stored.size > 0 || segment.buffer !== undefined);
  }

  private async sealingKey(): Promise<BackupKey> {
    if (this.key) return this.key;
    const { key, created } = await loadBackupKey(this.deps.keyFile, { create: true });
    await assertKeyFitsRepositories(this.deps.repositories.map((repository) => repository.store), key, this.deps.keyFile);
    if (created) this.deps.log.warn({ keyFile: this.deps.keyFile, fingerprint: key.fingerprint }, 'created a new backup encryption key: copy it somewhere safe, off this machine; without it the backups cannot be restored');
    this.key = key;
    return key;
  }
}

async function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
