import path from 'node:path';

/** Where archive_command leaves finished WAL files for the pusher: beside the data directory. */
export function walSpoolDir(dataDir: string): string {
  return path.join(path.dirname(dataDir), 'wal-spool');
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
