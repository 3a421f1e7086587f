/**
 * The reading half of a file-level base backup (file-backup.ts), on a thread of its own: walks
 * the data directory, leaving out what PostgreSQL's own BASE_BACKUP leaves out, and writes a
 * tar stream of it into the shared-memory slabs its parent lends it, reading each file with
 * synchronous calls straight into the slab (no copy in JavaScript). It checksums every file
 * (CRC-32C) for the backup manifest on the way.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Crc32c } from '../checksum.js';
import { copyIntoSlab } from '../slabs.js';
import { tarHeader, tarPadding, type TarHeaderEntry } from '../storage/tar-writer.js';

/** A file for the archive: read from `path`, or `content` given whole. */
export type ExtraEntry = { readonly name: string; readonly path: string } | { readonly name: string; readonly content: Uint8Array };

export type FileBackupCommand =
  | { readonly kind: 'slab'; readonly slab: Uint8Array }
  | { readonly kind: 'add'; readonly entries: readonly ExtraEntry[] }
  | { readonly kind: 'end' };

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly mtime: string;
  readonly crc32c: string;
}

export type FileBackupReply =
  | { readonly kind: 'walked'; readonly totalBytes: number; readonly files: number }
  | { readonly kind: 'filled'; readonly slab: Uint8Array; readonly length: number }
  /** Everything asked for so far is in the slabs handed back (but the one being filled). */
  | { readonly kind: 'idle' }
  | { readonly kind: 'done'; readonly files: readonly ManifestFile[] }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: string | undefined };

/** Directories whose contents no base backup carries (PostgreSQL's basebackup.c), kept as empty directories. */
const emptiedDirectories = new Set(['pg_wal', 'pg_stat_tmp', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);
/** Kept inside pg_wal, empty. */
const walSubdirectories = ['archive_status', 'summaries'];
/** Files left out wherever they are, and files left out at the top. */
const excludedAnywhere = new Set(['pg_internal.init']);
const excludedAtTop = new Set(['postgresql.auto.conf.tmp', 'current_logfiles.tmp', 'backup_label', 'tablespace_map', 'backup_manifest', 'postmaster.pid', 'postmaster.opts']);

interface Planned {
  readonly name: string;
  readonly source?: string;
  readonly content?: Buffer;
  readonly header: TarHeaderEntry;
  /** In the manifest (WAL is not: it is checked by its own headers on replay). */
  readonly listed: boolean;
}

const { dataDir } = (workerData as { data: { dataDir: string } }).data;
const port = parentPort!;
const emptySlabs: Buffer[] = [];
let waitingForSlab: (() => void) | undefined;
let slab: Buffer | undefined;
let filled = 0;
const manifest: ManifestFile[] = [];
let work = Promise.resolve();

port.on('message', (command: FileBackupCommand) => {
  if (command.kind === 'slab') {
    emptySlabs.push(Buffer.from(command.slab.buffer, command.slab.byteOffset, command.slab.byteLength));
    waitingForSlab?.();
    return;
  }
  work = work.then(() => (command.kind === 'add' ? write(command.entries.map(plannedExtra), true) : finish())).catch(fail);
});
work = work.then(() => {
  const planned = walk();
  port.postMessage({ kind: 'walked', totalBytes: planned.reduce((sum, entry) => sum + entry.header.size, 0), files: planned.length } satisfies FileBackupReply);
  return write(planned, true);
}).catch(fail);

function fail(error: unknown): void {
  const { message, code } = error as NodeJS.ErrnoException;
  port.postMessage({ kind: 'failed', message, code } satisfies FileBackupReply);
  work = new Promise(() => undefined); // nothing more is done; the parent ends this thread
}

/** Every entry of the data directory a base backup carries, parents before children. */
function walk(): Planned[] {
  const planned: Planned[] = [];
  const visit = (relative: string, emptied: boolean): void => {
    const dir = path.join(dataDir, relative);
    const names = readdirSync(dir).sort();
    const unlogged = new Set(names.filter((name) => /^\d+_init$/.test(name)).map((name) => name.slice(0, -'_init'.length)));
    for (const name of names) {
      const child = relative ? `${relative}/${name}` : name;
      if (excludedAnywhere.has(name) || name.startsWith('pgsql_tmp') || (!relative && excludedAtTop.has(name))) continue;
      // An unlogged relation is reset from its init fork on recovery: only that fork is kept.
      const relation = /^(\d+)(?:_(?:fsm|vm))?(?:\.\d+)?$/.exec(name);
      if (relation && unlogged.has(relation[1]!)) continue;
      const info = lstatSafe(path.join(dir, name));
      if (!info) continue; // gone since the listing (a dropped table): nothing to keep
      if (info.isDirectory()) {
        if (emptied) continue;
        planned.push({ name: child, header: header(child, 'directory', info), listed: false });
        if (!relative && emptiedDirectories.has(name)) {
          if (name === 'pg_wal') for (const sub of walSubdirectories) addDirectory(planned, `pg_wal/${sub}`);
          continue;
        }
        visit(child, false);
      } else if (info.isSymbolicLink()) {
        planned.push({ name: child, header: { ...header(child, 'symlink', info), linkname: readlinkSync(path.join(dir, name)) }, listed: false });
      } else if (info.isFile() && !emptied) {
        planned.push({ name: child, source: path.join(dir, name), header: header(child, 'file', info), listed: true });
      }
    }
  };
  visit('', false);
  return planned;
}

function addDirectory(planned: Planned[], name: string): void {
  const info = lstatSafe(path.join(dataDir, name));
  if (info?.isDirectory()) planned.push({ name, header: header(name, 'directory', info), listed: false });
}

function plannedExtra(entry: ExtraEntry): Planned {
  if ('content' in entry) {
    const content = Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength);
    return { name: entry.name, content, header: { name: entry.name, type: 'file', mode: 0o600, size: content.length, mtime: new Date() }, listed: true };
  }
  const info = lstatSync(entry.path);
  return { name: entry.name, source: entry.path, header: header(entry.name, 'file', info), listed: false };
}

function header(name: string, type: TarHeaderEntry['type'], info: Stats): TarHeaderEntry {
  return { name, type, mode: info.mode, size: type === 'file' ? info.size : 0, mtime: info.mtime };
}

function lstatSafe(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes the entries into the slabs; `idle` tells the parent when they are all handed back but the open slab. */
async function write(entries: readonly Planned[], idle: boolean): Promise<void> {
  for (const entry of entries) await writeEntry(entry);
  if (idle) port.postMessage({ kind: 'idle' } satisfies FileBackupReply);
}

async function writeEntry(entry: Planned): Promise<void> {
  let fd: number | undefined;
  if (entry.source) {
    try {
      fd = openSync(entry.source, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed since the walk, as BASE_BACKUP skips it
      throw error;
    }
  }
  try {
    await put(tarHeader(entry.header));
    const crc = new Crc32c();
    let done = 0;
    while (done < entry.header.size) {
      const room = await space();
      const want = Math.min(room, entry.header.size - done);
      const at = filled;
      let got = entry.content ? copyIntoSlab(entry.content.subarray(done, done + want), slab!, at) : readSync(fd!, slab!, at, want, done);
      // Shorter than it was at the walk (truncated meanwhile): zeros, as BASE_BACKUP sends; WAL replay restores it.
      if (got === 0) got = fillZeros(want);
      crc.update(slab!.subarray(at, at + got));
      filled += got;
      done += got;
    }
    await putZeros(tarPadding(entry.header.size));
    if (entry.listed) manifest.push({ path: entry.name, size: entry.header.size, mtime: entry.header.mtime.toISOString(), crc32c: crc.manifestHex() });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Room left in the open slab, once there is one (waiting for the parent to lend one). */
async function space(): Promise<number> {
  if (slab && filled === slab.length) handBack();
  while (!slab) {
    slab = emptySlabs.shift();
    if (!slab) await new Promise<void>((resolve) => (waitingForSlab = resolve));
  }
  return slab.length - filled;
}

async function put(data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; ) {
    await space();
    const copied = copyIntoSlab(data.subarray(done), slab!, filled);
    filled += copied;
    done += copied;
  }
}

async function putZeros(count: number): Promise<void> {
  for (let left = count; left > 0; ) {
    const zeros = fillZeros(Math.min(left, await space()));
    filled += zeros;
    left -= zeros;
  }
}

/** Zeros `count` bytes of the open slab from `filled` (the caller counts them in). */
function fillZeros(count: number): number {
  slab!.fill(0, filled, filled + count);
  return count;
}

function handBack(): void {
  if (!slab || filled === 0) return;
  port.postMessage({ kind: 'filled', slab, length: filled } satisfies FileBackupReply);
  slab = undefined;
  filled = 0;
}

async function finish(): Promise<void> {
  handBack();
  port.postMessage({ kind: 'done', files: manifest } satisfies FileBackupReply);
}
