import { emptyDirectory, requireEmptyDirectory } from './dirs.js';
import { FsStore } from './fs-store.js';
import type { ObjectStore } from './store.js';
import { extractTar, type ExtractOptions } from './tar-extract.js';

/** The local disk a restore writes to (the backup module's ScratchSpace port). */
export interface LocalScratchSpace {
  requireEmpty(dir: string): Promise<void>;
  empty(dir: string): Promise<void>;
  extractTar(
    archive: AsyncIterable<Buffer>,
    dir: string,
    options: ExtractOptions,
  ): Promise<{ files: number; bytes: number }>;
  store(dir: string): ObjectStore;
}

/** Directories on this machine: tar archives unpacked on a thread of their own, WAL fetched into a directory store. */
export const localScratchSpace: LocalScratchSpace = {
  requireEmpty: requireEmptyDirectory,
  empty: emptyDirectory,
  extractTar,
  store: (dir) => new FsStore(dir),
};
