import { statfs } from 'node:fs/promises';

/** How full the file system holding `path` is: bytes in all, free to unprivileged users, and the share used. */
export async function diskUsage(
  path: string,
): Promise<{ totalBytes: number; availableBytes: number; usedRatio: number }> {
  const stats = await statfs(path);
  const totalBytes = stats.blocks * stats.bsize;
  const availableBytes = stats.bavail * stats.bsize;
  // Used as df counts it: of what unprivileged users can have (the reserved blocks left out).
  const usable = totalBytes - (stats.bfree - stats.bavail) * stats.bsize;
  return { totalBytes, availableBytes, usedRatio: usable > 0 ? 1 - availableBytes / usable : 0 };
}
