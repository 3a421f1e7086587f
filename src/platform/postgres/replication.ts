import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ConnectionTarget } from '../db/connect.js';
import { copyIntoSlab, takeSlab } from '../slabs.js';
import { copySocket } from './copy-socket.js';

/** What BASE_BACKUP streams, in order: archives (tar data), progress, the manifest, the end. */
export type BaseBackupEvent =
  | {
      readonly kind: 'start';
      readonly startLsn: string;
      readonly timeline: number;
      readonly tablespaces: ReadonlyArray<{ oid: string | null; location: string | null; sizeKb: number | null }>;
    }
  | { readonly kind: 'archive'; readonly name: string; readonly location: string }
  | { readonly kind: 'data'; readonly chunk: Buffer }
  | { readonly kind: 'progress'; readonly bytes: number }
  | { readonly kind: 'manifest' }
  | {
      readonly kind: 'end';
      readonly endLsn: string;
      readonly timeline: number;
      /** The earlier backups holding files this one left out as unchanged (an incremental file backup). */
      readonly references?: readonly string[];
    };

export interface BaseBackupOptions {
  readonly label: string;
  /** Include the WAL needed to make the backup consistent by itself (in pg_wal of base.tar). */
  readonly includeWal: boolean;
  /** Request an immediate checkpoint rather than waiting for the next scheduled one. */
  readonly fastCheckpoint: boolean;
  /**
   * Archive data is gathered into pieces of this many bytes (the last of each archive shorter),
   * copied once from the protocol's buffer: the server sends it 32 kB at a time. Default 1 MiB.
   */
  readonly chunkBytes?: number;
}

/** Pause the socket above this many buffered bytes; resume below a quarter of it. */
const highWaterBytes = 16 * 1024 * 1024;

/**
 * Runs BASE_BACKUP on a replication connection and yields what the server sends. The
 * server's socket is paused while the consumer is behind, so memory stays bounded
 * whatever the speed of the repository the data goes to.
 */
export async function* streamBaseBackup(
  target: ConnectionTarget,
  options: BaseBackupOptions,
): AsyncGenerator<BaseBackupEvent> {
  const query = new BaseBackupQuery(baseBackupCommand(options), options.chunkBytes ?? 1024 * 1024);
  // Without TLS the archive data is read straight off the socket (copySocket); with TLS through node-postgres.
  const stream = target.ssl ? {} : { stream: copySocket((data) => query.gather(data)) };
  const client = new pg.Client({
    ...target,
    ...stream,
    replication: 'true',
    application_name: 'steadfast-backup',
  } as unknown as pg.ClientConfig);
  client.on('error', () => undefined); // surfaced through the query instead
  await client.connect();
  // A temporary slot holds the WAL this backup will include until its session ends, as
  // pg_basebackup does: WAL written during a long backup is otherwise recycled before it is sent.
  try {
    await client.query(
      `CREATE_REPLICATION_SLOT steadfast_backup_${process.pid}_${randomBytes(4).toString('hex')} TEMPORARY PHYSICAL RESERVE_WAL`,
    );
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  const done = client.query(query as never) as unknown as Promise<void>;
  void Promise.resolve(done).catch(() => undefined);
  try {
    for (;;) {
      const event = await query.next();
      if (event === undefined) break;
      yield event;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function baseBackupCommand(options: BaseBackupOptions): string {
  const label = options.label.replace(/'/g, "''");
  const parts = [
    `LABEL '${label}'`,
    'PROGRESS true',
    `CHECKPOINT '${options.fastCheckpoint ? 'fast' : 'spread'}'`,
    `WAL ${options.includeWal}`,
    "MANIFEST 'yes'",
    "MANIFEST_CHECKSUMS 'CRC32C'",
    "TARGET 'client'",
  ];
  return `BASE_BACKUP (${parts.join(', ')})`;
}

interface Connection {
  query(text: string): void;
  stream: { pause(): void; resume(): void };
}

/**
 * A node-postgres "submittable": pg hands it the protocol messages of the running query.
 * Result rows come before and after the COPY stream; CopyData messages carry a type byte.
 */
class BaseBackupQuery {
  private connection: Connection | undefined;
  private readonly queue: BaseBackupEvent[] = [];
  private queuedBytes = 0;
  private paused = false;
  private resultSet = 0;
  private rows: unknown[][] = [];
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Archive data being gathered, and how much of it is filled. */
  private slab: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly text: string,
    private readonly chunkBytes: number,
  ) {}

  submit(connection: Connection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  /** The next event, or undefined at the end; rejects with the server's error. */
  async next(): Promise<BaseBackupEvent | undefined> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        if (event.kind === 'data') this.queuedBytes -= event.chunk.length;
        if (this.paused && this.queuedBytes < highWaterBytes / 4) {
          this.paused = false;
          this.connection?.stream.resume();
        }
        return event;
      }
      if (this.failure) throw this.failure;
      if (this.finished) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  handleRowDescription(): void {
    this.flush();
    this.rows = [];
  }

  handleDataRow(message: { fields: Array<Buffer | string | null> }): void {
    this.rows.push(message.fields.map((field) => (field === null ? null : field.toString())));
  }

  handleCommandComplete(): void {
    // The copy is over (node-postgres does not pass CopyDone on): what was gathered goes first.
    this.flush();
    this.resultSet++;
    const rows = this.rows;
    this.rows = [];
    if (this.resultSet === 1) {
      const [lsn, tli] = (rows[0] ?? []) as [string, string];
      this.pendingStart = { startLsn: lsn, timeline: Number(tli) };
    } else if (this.resultSet === 2 && this.pendingStart) {
      const tablespaces = rows.map(([oid, location, size]) => ({
        oid: oid as string | null,
        location: location as string | null,
        sizeKb: size === null || size === undefined ? null : Number(size),
      }));
      this.push({ kind: 'start', ...this.pendingStart, tablespaces });
      this.pendingStart = undefined;
    } else if (rows.length > 0) {
      const [lsn, tli] = rows[0] as [string, string];
      this.push({ kind: 'end', endLsn: lsn, timeline: Number(tli) });
    }
  }

  private pendingStart: { startLsn: string; timeline: number } | undefined;

  handleCopyOutResponse(): void {
    // The typed CopyData messages that follow say what each one holds.
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const data = message.chunk;
    const type = String.fromCharCode(data[0]!);
    if (type === 'd') {
      // Copied: pg-protocol reuses its read buffer, so a slice could be overwritten by later messages.
      this.gather(data.subarray(1));
      return;
    }
    if (type === 'p') {
      // Progress arrives many times a second, between archive data: the piece being gathered
      // goes on filling (handing it on part-filled cost a slab and a copy each time).
      this.push({ kind: 'progress', bytes: Number(data.readBigInt64BE(1)) });
      return;
    }
    this.flush();
    if (type === 'n') {
      const [name, location] = data.subarray(1).toString('utf8').split('\0');
      this.push({ kind: 'archive', name: name ?? '', location: location ?? '' });
    } else if (type === 'm') {
      this.push({ kind: 'manifest' });
    }
  }

  /** Archive data (a CopyData 'd' payload), copied into the slab being filled. */
  gather(data: Buffer): void {
    for (let offset = 0; offset < data.length;) {
      this.slab ??= takeSlab(this.chunkBytes);
      const copied = copyIntoSlab(data.subarray(offset), this.slab, this.filled);
      offset += copied;
      this.filled += copied;
      if (this.filled === this.chunkBytes) this.flush();
    }
  }

  /** Hands on the data gathered so far (a full slab as it is, a partial one as a view). */
  private flush(): void {
    if (!this.slab || this.filled === 0) return;
    const chunk = this.filled === this.chunkBytes ? this.slab : this.slab.subarray(0, this.filled);
    this.slab = undefined;
    this.filled = 0;
    this.push({ kind: 'data', chunk });
  }

  handleError(error: Error): void {
    this.failure = error;
    this.notify();
  }

  handleReadyForQuery(): void {
    this.finished = true;
    this.notify();
  }

  handleEmptyQuery(): void {}

  private push(event: BaseBackupEvent): void {
    this.queue.push(event);
    if (event.kind === 'data') {
      this.queuedBytes += event.chunk.length;
      if (!this.paused && this.queuedBytes > highWaterBytes) {
        this.paused = true;
        this.connection?.stream.pause();
      }
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** What IDENTIFY_SYSTEM and the server version say about the cluster being backed up. */
export interface SystemIdentity {
  readonly systemIdentifier: string;
  readonly timeline: number;
  readonly walPosition: string;
  readonly serverVersionNum: number;
}

export async function identifySystem(target: ConnectionTarget): Promise<SystemIdentity> {
  return withReplicationClient(
    target,
    async (client) => {
      const identity = await client.query<{ systemid: string; timeline: string; xlogpos: string }>('IDENTIFY_SYSTEM');
      const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
      const row = identity.rows[0]!;
      return {
        systemIdentifier: row.systemid,
        timeline: Number(row.timeline),
        walPosition: row.xlogpos,
        serverVersionNum: Number(version.rows[0]!.server_version_num),
      };
    },
    'steadfast-backup',
  );
}

/**
 * A physical replication slot for a standby. RESERVE_WAL holds WAL from now, so the standby's
 * copy, started after this, finds all it needs. One that exists already is another node's, or
 * this node's from an earlier join: it is replaced only when `replace` says so (and never while
 * a standby streams through it: PostgreSQL refuses to drop an active slot, 55006).
 */
export async function createStandbySlot(
  target: ConnectionTarget,
  slot: string,
  options: { replace: boolean },
): Promise<'created' | 'replaced' | 'exists'> {
  return withReplicationClient(target, async (client) => {
    const create = (): Promise<unknown> => client.query(`CREATE_REPLICATION_SLOT ${slot} PHYSICAL RESERVE_WAL`);
    try {
      await create();
      return 'created';
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // duplicate_object: it exists
    }
    if (!options.replace) return 'exists';
    await client.query(`DROP_REPLICATION_SLOT ${slot}`);
    await create();
    return 'replaced';
  });
}

/** Drops a standby's slot if it exists (a join that failed half-way). */
export async function dropStandbySlot(target: ConnectionTarget, slot: string): Promise<void> {
  await withReplicationClient(target, (client) =>
    client.query(`DROP_REPLICATION_SLOT ${slot}`).catch((error: { code?: string }) => {
      if (error.code !== '42704') throw error;
    }),
  );
}

async function withReplicationClient<R>(
  target: ConnectionTarget,
  work: (client: pg.Client) => Promise<R>,
  applicationName = 'steadfast-standby',
): Promise<R> {
  const client = new pg.Client({
    ...target,
    replication: 'true',
    application_name: applicationName,
  } as pg.ClientConfig);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
