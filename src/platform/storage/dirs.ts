import { mkdir, readdir, rm } from 'node:fs/promises';
import { appError } from '../errors.js';

/** Creates `dir` if needed and refuses one that already holds anything (a restore never overwrites). */
export async function requireEmptyDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw appError(
      'RESTORE_TARGET_NOT_EMPTY',
      `${dir} is not empty (${entries.length} entries, e.g. ${entries[0]}). Restore into a new or empty directory; nothing was changed.`,
    );
  }
}

/** Removes everything inside `dir` (after a failed restore attempt), keeping the directory. */
export async function emptyDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(`${dir}/${entry}`, { recursive: true, force: true });
}

/** Removes a directory and everything in it, if it exists. */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
