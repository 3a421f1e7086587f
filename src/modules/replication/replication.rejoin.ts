import path from 'node:path';
import { listDirectory } from '../../platform/storage/local-files.js';

/** Where a data directory that could not follow its new primary is kept (`steadfast status` lists them). */
export const divergedCopyName = (dataDir: string, at: string): string =>
  `${dataDir}.diverged-${at.replace(/[:.]/g, '-')}`;

/** The kept copies beside a data directory, oldest first. */
export async function divergedCopies(dataDir: string): Promise<string[]> {
  const prefix = `${path.basename(dataDir)}.diverged-`;
  const entries = await listDirectory(path.dirname(dataDir));
  return entries
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((name) => path.join(path.dirname(dataDir), name));
}
