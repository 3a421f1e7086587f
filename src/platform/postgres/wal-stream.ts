import pg from 'pg';
import type { ConnectionTarget } from '../db/connect.js';

/** A run of WAL bytes as the server sent them, starting at `start`. */
export interface WalChunk {
  readonly start: bigint;
  readonly data: Buffer;
}

export interface WalStream {
  /** WAL as it is written on the primary; ends when the server ends the stream (a timeline switch). */
  readonly chunks: AsyncIterable<WalChunk>;
  /** Tells the server how far we have the WAL safe (it shows in pg_stat_replication). */
  acknowledge(flushed: bigint): void;
  close(): Promise<void>;
}

export const parseLsn = (lsn: string): bigint => {
  const [high, low] = lsn.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
};
export const formatLsn = (lsn: bigint): string => `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

/** Microseconds from the Unix epoch to Postgres's (2000-01-01). */
const postgresEpochMicros = 946_684_800_000_000n;
/** Pause the socket above this many buffered bytes. */
const highWaterBytes = 32 * 1024 * 1024;

/**
 * Streams WAL from `start` on `timeline` over the physical replication protocol
 * (START_REPLICATION, as pg_receivewal does), without a replication slot: the archive
 * stays complete through archive_command whatever happens to this stream.
 */
export async function openWalStream(target: ConnectionTarget, options: { start: bigint; timeline: number; applicationName: string }): Promise<WalStream> {
  const client = new pg.Client({ ...target, replication: 'true', application_name: options.applicationName } as pg.ClientConfig);
  client.on('error', () => undefined); // surfaced through the stream
  await client.connect();
  const query = new StartReplication(`START_REPLICATION PHYSICAL ${formatLsn(options.start)} TIMELINE ${options.timeline}`);
  const done = client.query(query as never) as unknown as Promise<void>;
  void Promise.resolve(done).catch(() => undefined);
  return {
    chunks: { [Symbol.asyncIterator]: () => ({ next: async () => query.next().then((value) => (value ? { value, done: false as const } : { value: undefined, done: true as const })) }) },
    acknowledge: (flushed) => query.acknowledge(flushed),
    close: async () => {
      query.stop();
      await client.end().catch(() => undefined);
    },
  };
}

interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  stream: { pause(): void; resume(): void };
}

/** The node-postgres "submittable" behind openWalStream: XLogData in, standby status out. */
class StartReplication {
  private connection: Connection | undefined;
  private readonly queue: WalChunk[] = [];
  private queuedBytes = 0;
  private paused = false;
  private received = 0n;
  private flushed = 0n;
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly text: string) {}

  submit(connection: Connection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  async next(): Promise<WalChunk | undefined> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        this.queuedBytes -= chunk.data.length;
        if (this.paused && this.queuedBytes < highWaterBytes / 4) {
          this.paused = false;
          this.connection?.stream.resume();
        }
        return chunk;
      }
      if (this.failure) throw this.failure;
      if (this.finished) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  acknowledge(flushed: bigint): void {
    this.flushed = flushed;
    this.sendStatus();
  }

  stop(): void {
    this.finished = true;
    this.notify();
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const data = message.chunk;
    const type = String.fromCharCode(data[0]!);
    if (type === 'w') {
      // XLogData: start, server's end of WAL, send time, then the WAL bytes (copied: pg reuses its buffer).
      const start = data.readBigUInt64BE(1);
      const bytes = Buffer.from(data.subarray(25));
      this.received = start + BigInt(bytes.length);
      this.queue.push({ start, data: bytes });
      this.queuedBytes += bytes.length;
      if (!this.paused && this.queuedBytes > highWaterBytes) {
        this.paused = true;
        this.connection?.stream.pause();
      }
      this.notify();
    } else if (type === 'k' && data[17] === 1) {
      this.sendStatus(); // a keepalive that asks for a reply, or the server times us out
    }
  }

  /** Standby status update: received, flushed (safe in a repository), applied (nothing), now. */
  private sendStatus(): void {
    if (!this.connection || this.finished) return;
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(this.received, 1);
    message.writeBigUInt64BE(this.flushed, 9);
    message.writeBigUInt64BE(0n, 17);
    message.writeBigUInt64BE(BigInt(Date.now()) * 1000n - postgresEpochMicros, 25);
    message.writeUInt8(0, 33);
    this.connection.sendCopyFromChunk(message);
  }

  handleCopyOutResponse(): void {}
  handleCopyInResponse(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}

  handleCopyDone(): void {
    // The server ends the stream at a timeline switch; the caller starts again on the new one.
    this.connection?.endCopyFrom();
    this.finished = true;
    this.notify();
  }

  handleError(error: Error): void {
    this.failure = error;
    this.notify();
  }

  handleReadyForQuery(): void {
    this.finished = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
