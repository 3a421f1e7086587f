import { emptyDirectory, requireEmptyDirectory } from './dirs.js';
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
}

/** Directories on this machine: tar archives unpacked on a thread of their own. */
export const localScratchSpace: LocalScratchSpace = {
  requireEmpty: requireEmptyDirectory,
  empty: emptyDirectory,
  extractTar,
};
