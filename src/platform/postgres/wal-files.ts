import { open } from 'node:fs/promises';
import path from 'node:path';

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
