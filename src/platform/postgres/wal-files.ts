import { open } from 'node:fs/promises';
import path from 'node:path';
import { createPool, type ConnectionTarget } from '../db/connect.js';

/**
 * Bytes `from`..`to` of a WAL segment file in `walDir` (pg_wal), or undefined when the file is
 * gone (Postgres recycles a segment only after it was archived). Only bytes below Postgres's
 * flush position are asked for: they are on disk and no longer change.
 */
export async function readWalRange(
  walDir: string,
  segment: string,
  from: number,
  to: number,
): Promise<Buffer | undefined> {
  if (!/^[0-9A-F]{24}$/.test(segment)) throw new Error(`not a WAL segment name: ${segment}`);
  const handle = await open(path.join(walDir, segment), 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    const buffer = Buffer.allocUnsafe(to - from); // filled by the read below, or refused
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    if (bytesRead !== buffer.length)
      throw new Error(`WAL segment ${segment} holds ${from + bytesRead} bytes, fewer than the ${to} flushed`);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** The WAL a running server has flushed, read from its `pg_wal` beside it (the backup module's WAL source). */
export interface WalFlushSource {
  /** Where the server has flushed WAL to, and the segment file that position is in. */
  flushPosition(): Promise<{ lsn: string; segment: string }>;
  readWal(segment: string, from: number, to: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** The flushed WAL of the server at `admin` whose data directory is `dataDir` (this machine's), over one connection. */
export function walFlushSource(admin: ConnectionTarget, dataDir: string): WalFlushSource {
  const walDir = path.join(dataDir, 'pg_wal');
  const pool = createPool(
    { ...admin, database: 'postgres' },
    { max: 1, idleSeconds: 60, applicationName: 'steadfast-wal-stream' },
  );
  return {
    flushPosition: async () => {
      const { rows } = await pool.query<{ lsn: string; segment: string }>(
        'SELECT lsn::text, pg_walfile_name(lsn) AS segment FROM pg_current_wal_flush_lsn() AS lsn',
      );
      return rows[0]!;
    },
    readWal: (segment, from, to) => readWalRange(walDir, segment, from, to),
    close: () => pool.end(),
  };
}
