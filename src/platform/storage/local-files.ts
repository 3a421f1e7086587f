import { access, chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';

/*
 * The few things modules do with this machine's own files (a node's home, its data
 * directory's signal files, a scratch directory), named for what they are for.
 */

/** Whether a file is there (and reachable). */
export const pathExists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** A text file's content (UTF-8). */
export const readText = (file: string): Promise<string> => readFile(file, 'utf8');

/** The names in a directory; none when it is missing or cannot be read. */
export const listDirectory = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);

/** Creates a directory with `mode` (and its parents, with `recursive`). */
export async function makeDirectory(dir: string, options: { mode: number; recursive?: boolean }): Promise<void> {
  await mkdir(dir, options);
}

/** A new, empty directory named `prefix` and a random suffix. */
export const makeTemporaryDirectory = (prefix: string): Promise<string> => mkdtemp(prefix);

/** An empty file (a signal file such as standby.signal), owned by `owner` when given (PostgreSQL's OS user). */
export async function writeEmptyFile(file: string, owner?: { uid: number; gid: number }): Promise<void> {
  await writeFile(file, '');
  if (owner) await chown(file, owner.uid, owner.gid);
}

/** Moves a file or directory to another name on the same file system, at once. */
export const movePath = (from: string, to: string): Promise<void> => rename(from, to);

/** Copies a file (its content; the copy gets default permissions). */
export const copyFileTo = (from: string, to: string): Promise<void> => copyFile(from, to);

/** Sets a file's or directory's permission bits. */
export const setMode = (file: string, mode: number): Promise<void> => chmod(file, mode);
