import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunAs } from './os-user.js';

/** Where archive_command leaves finished WAL files for the pusher: beside the data directory. */
export function walSpoolDir(dataDir: string): string {
  return path.join(path.dirname(dataDir), 'wal-spool');
}

/** Makes the spool of `dataDir` (private to the PostgreSQL user, who writes it): its path. */
export async function prepareWalSpool(dataDir: string, runAs: RunAs | undefined): Promise<string> {
  const spool = walSpoolDir(dataDir);
  await mkdir(spool, { recursive: true, mode: 0o700 });
  if (runAs) await chown(spool, runAs.uid, runAs.gid);
  return spool;
}

/**
 * archive_command: a local, durable copy into the spool and nothing else, so a slow or
 * broken repository can never hold up commits. The copy is written under a hidden name,
 * fsynced, renamed and its directory fsynced; only then may Postgres recycle the segment.
 * A file already in the spool (a retry after a crash) counts as done if it is identical.
 */
export function archiveCommand(spoolDir: string): string {
  if (/['\n]/.test(spoolDir)) throw new Error(`the WAL spool path may not contain quotes or newlines: ${spoolDir}`);
  const s = `'${spoolDir}'`;
  return [
    `if [ -f ${s}/"%f" ]; then cmp -s "%p" ${s}/"%f";`,
    `else cp "%p" ${s}/".%f.tmp" && sync ${s}/".%f.tmp" && mv ${s}/".%f.tmp" ${s}/"%f" && sync ${s}; fi`,
  ].join(' ');
}
