import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionTarget } from '../db/connect.js';
import { startWorker } from '../process/workers.js';
import { takeSlab } from '../slabs.js';
import type { ExtraEntry, FileBackupCommand, FileBackupReply } from './file-backup.worker.js';
import { reusableTransferList, type ReusableFiles } from './reusable-files.js';

export { packReusable, type ReusableFile, type ReusableFiles } from './reusable-files.js';
import { formatLsn, parseLsn, segmentBytes, segmentEnding, segmentOf, timelineHex } from './lsn.js';
import type { BaseBackupEvent } from './replication.js';

export interface FileBackupOptions {
  readonly label: string;
  /** Request an immediate checkpoint rather than waiting for the next scheduled one. */
  readonly fastCheckpoint: boolean;
  /** Size of the pieces the archive comes in (slabs of shared memory). */
  readonly chunkBytes: number;
  /**
   * Files an earlier backup holds, by path: left out when unchanged since (an incremental
   * backup). Waited for after the backup has started, so reading it overlaps the checkpoint.
   */
  readonly reuse?: PromiseLike<ReusableFiles | undefined> | undefined;
}

/**
 * The reading thread's young generation, with room for the walk's tens of thousands of entries,
 * which all live until the end: with the default the thread spent 140-180 ms of an incremental
 * copying them from one collection to the next.
 */
const walkHeap = { maxYoungGenerationSizeMb: 96 };

/** Slabs lent to the reading thread at once: what it may read ahead of the consumer. */
const slabsLent = 4;

/**
 * Whether a file-level backup can copy this data directory: it must be on this machine and
 * hold no tablespaces (their directories live elsewhere; BASE_BACKUP handles them).
 */
export async function canBackUpFiles(dataDir: string): Promise<boolean> {
  const links = await readdir(path.join(dataDir, 'pg_tblspc')).catch(() => undefined);
  return links !== undefined && links.length === 0;
}

/**
 * A base backup of a cluster on this machine with PostgreSQL's low-level backup API
 * (pg_backup_start / pg_backup_stop), the files read straight from the data directory, as
 * pgBackRest and WAL-G do: no walsender reads, checksums and sends every byte through a socket
 * for us to copy out again (that was 40 % of a backup's CPU on two cores). It yields what
 * streamBaseBackup yields for BASE_BACKUP: one archive, base.tar, with the WAL the backup needs
 * in pg_wal/ and backup_label; then a backup_manifest in PostgreSQL's format (CRC-32C).
 *
 * A temporary replication slot holds that WAL from the start; the backup session holds the
 * backup: if this stops half-way, PostgreSQL forgets the backup when the session ends.
 */
export async function* streamFileBackup(
  target: ConnectionTarget,
  dataDir: string,
  options: FileBackupOptions,
): AsyncGenerator<BaseBackupEvent> {
  const clients = backupClients(target);
  // The reading thread loads (a fifth of a second) while PostgreSQL checkpoints, and walks once the backup has started.
  const reader = startWorker(new URL('./file-backup.worker.ts', import.meta.url), { dataDir }, walkHeap);
  // Listened for now: a thread that dies while PostgreSQL checkpoints has exited before the end, and would never say so again.
  const exited = once(reader, 'exit').catch(() => undefined);
  const replies = new Replies(reader);
  try {
    const { system, startLsn, timeline } = await startBackup(clients, options);
    const reuse = await options.reuse;
    reader.postMessage({ kind: 'walk', reuse } satisfies FileBackupCommand, reuse ? reusableTransferList(reuse) : []);
    for (let i = 0; i < slabsLent; i++) lend(reader, options.chunkBytes);
    let idles = 0;
    let end: { lsn: string } | undefined;
    for (;;) {
      const reply = await replies.next();
      if (reply.kind === 'walked') {
        yield {
          kind: 'start',
          startLsn,
          timeline,
          tablespaces: [{ oid: null, location: null, sizeKb: Math.ceil(reply.totalBytes / 1024) }],
        };
        yield { kind: 'archive', name: 'base.tar', location: '' };
      } else if (reply.kind === 'filled') {
        const slab = Buffer.from(reply.slab.buffer, reply.slab.byteOffset, reply.slab.byteLength);
        yield { kind: 'data', chunk: reply.length === slab.length ? slab : slab.subarray(0, reply.length) };
        lend(reader, options.chunkBytes);
      } else if (reply.kind === 'idle' && idles++ === 0) {
        // Every data file is read: the backup ends, and what it needs besides joins the archive.
        const stopped = await stopBackup(clients.session, dataDir, startLsn, timeline);
        end = { lsn: stopped.lsn };
        reader.postMessage({ kind: 'add', entries: stopped.extra } satisfies FileBackupCommand);
      } else if (reply.kind === 'idle') {
        reader.postMessage({ kind: 'end' } satisfies FileBackupCommand);
      } else if (reply.kind === 'done') {
        yield { kind: 'manifest' };
        for (const chunk of manifestOf(reply.manifestLines, system, {
          timeline,
          startLsn,
          endLsn: end!.lsn,
        }))
          yield { kind: 'data', chunk };
        yield { kind: 'end', endLsn: end!.lsn, timeline, references: reply.references };
        return;
      }
    }
  } finally {
    await reader.terminate();
    await exited;
    await Promise.all([clients.session.end().catch(() => undefined), clients.slot.end().catch(() => undefined)]);
  }
}

/** The backup's two connections: a replication one for the slot that holds its WAL, and the session that holds the backup. */
function backupClients(target: ConnectionTarget): { slot: pg.Client; session: pg.Client } {
  const slot = new pg.Client({
    ...target,
    replication: 'true',
    application_name: 'steadfast-backup',
  } as pg.ClientConfig);
  const session = new pg.Client({ ...target, application_name: 'steadfast-backup' });
  for (const client of [slot, session]) client.on('error', () => undefined); // surfaced through their queries
  return { slot, session };
}

/** Reserves the WAL (a temporary slot) and starts the backup: the cluster's identity, and where the backup starts. */
async function startBackup(
  { slot, session }: { slot: pg.Client; session: pg.Client },
  options: FileBackupOptions,
): Promise<{ system: string; startLsn: string; timeline: number }> {
  await slot.connect();
  await slot.query(
    `CREATE_REPLICATION_SLOT steadfast_backup_${process.pid}_${randomBytes(4).toString('hex')} TEMPORARY PHYSICAL RESERVE_WAL`,
  );
  await session.connect();
  const identity = await session.query<{ system: string }>(
    'SELECT system_identifier::text AS system FROM pg_control_system()',
  );
  const started = await session.query<{ lsn: string }>('SELECT pg_backup_start($1, $2)::text AS lsn', [
    options.label,
    options.fastCheckpoint,
  ]);
  const { rows } = await session.query<{ timeline: number }>(
    'SELECT timeline_id AS timeline FROM pg_control_checkpoint()',
  );
  return { system: identity.rows[0]!.system, startLsn: started.rows[0]!.lsn, timeline: rows[0]!.timeline };
}

/** Ends the backup: where it ends, and what the archive needs besides the data files (backup_label, the WAL). */
async function stopBackup(
  session: pg.Client,
  dataDir: string,
  startLsn: string,
  timeline: number,
): Promise<{ lsn: string; extra: ExtraEntry[] }> {
  const stopped = await session.query<{ lsn: string; labelfile: string }>(
    'SELECT lsn::text, labelfile FROM pg_backup_stop(false)',
  );
  const lsn = stopped.rows[0]!.lsn;
  const extra: ExtraEntry[] = [{ name: 'backup_label', content: Buffer.from(stopped.rows[0]!.labelfile, 'utf8') }];
  for (const file of await neededWal(dataDir, startLsn, lsn, timeline))
    extra.push({ name: `pg_wal/${file}`, path: path.join(dataDir, 'pg_wal', file) });
  return { lsn, extra };
}

function lend(reader: ReturnType<typeof startWorker>, bytes: number): void {
  reader.postMessage({ kind: 'slab', slab: takeSlab(bytes) } satisfies FileBackupCommand);
}

/** The segments from the one holding the start to the one holding the end, and the timeline's history. */
async function neededWal(dataDir: string, startLsn: string, endLsn: string, timeline: number): Promise<string[]> {
  const last = segmentEnding(parseLsn(endLsn), timeline).segment;
  const files: string[] = [];
  for (let at = (parseLsn(startLsn) / BigInt(segmentBytes)) * BigInt(segmentBytes); ; at += BigInt(segmentBytes)) {
    const segment = segmentOf(formatLsn(at), timeline);
    files.push(segment);
    if (segment >= last) break;
  }
  const history = `${timelineHex(timeline)}.history`;
  if (timeline > 1 && (await readdir(path.join(dataDir, 'pg_wal'))).includes(history)) files.push(history);
  return files;
}

/** backup_manifest as PostgreSQL writes it (version 2): one file a line, then the SHA-256 of all before it. */
function manifestOf(
  fileLines: readonly Uint8Array[],
  systemIdentifier: string,
  wal: { timeline: number; startLsn: string; endLsn: string },
): Buffer[] {
  const body = [
    Buffer.from(`{ "PostgreSQL-Backup-Manifest-Version": 2,\n"System-Identifier": ${systemIdentifier},\n"Files": [\n`),
    ...fileLines.map((piece) => Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)),
    Buffer.from(
      ` ],\n"WAL-Ranges": [\n${JSON.stringify({ Timeline: wal.timeline, 'Start-LSN': wal.startLsn, 'End-LSN': wal.endLsn })}\n],\n`,
    ),
  ];
  const checksum = createHash('sha256');
  for (const piece of body) checksum.update(piece);
  return [...body, Buffer.from(`"Manifest-Checksum": "${checksum.digest('hex')}"}\n`)];
}

/** The reading thread's replies in order; its failure (or death) as an error. */
class Replies {
  private readonly queue: FileBackupReply[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(worker: ReturnType<typeof startWorker>) {
    worker.on('message', (reply: FileBackupReply) => {
      if (reply.kind === 'failed')
        this.fail(
          Object.assign(
            new Error(`reading the data directory failed: ${reply.message}`),
            reply.code ? { code: reply.code } : {},
          ),
        );
      else this.queue.push(reply);
      this.wake?.();
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) =>
      this.fail(new Error(`the thread reading the data directory stopped (exit code ${code})`)),
    );
  }

  async next(): Promise<FileBackupReply> {
    for (;;) {
      const reply = this.queue.shift();
      if (reply) return reply;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}
