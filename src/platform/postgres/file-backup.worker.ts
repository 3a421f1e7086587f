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
import { ReusableIndex, type ReusableFile, type ReusableFiles } from './reusable-files.js';

/** A file for the archive: read from `path`, or `content` given whole. */
export type ExtraEntry =
  { readonly name: string; readonly path: string } | { readonly name: string; readonly content: Uint8Array };

export type FileBackupCommand =
  /** The backup has started: walk the data directory and read it, skipping the files `reuse` vouches for. */
  | { readonly kind: 'walk'; readonly reuse?: ReusableFiles | undefined }
  | { readonly kind: 'slab'; readonly slab: Uint8Array }
  | { readonly kind: 'add'; readonly entries: readonly ExtraEntry[] }
  | { readonly kind: 'end' };

export type FileBackupReply =
  | { readonly kind: 'walked'; readonly totalBytes: number; readonly files: number }
  | { readonly kind: 'filled'; readonly slab: Uint8Array; readonly length: number }
  /** Everything asked for so far is in the slabs handed back (but the one being filled). */
  | { readonly kind: 'idle' }
  /** The manifest's file lines, `,\n`-separated as PostgreSQL writes them, in pieces of about 1 MiB (moved, not copied). */
  | {
      readonly kind: 'done';
      readonly manifestLines: readonly Uint8Array[];
      /** The earlier backups holding files this one left out (unchanged since). */
      readonly references: readonly string[];
    }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: string | undefined };

export type { ReusableFile } from './reusable-files.js';

/** Directories whose contents no base backup carries (PostgreSQL's basebackup.c), kept as empty directories. */
const emptiedDirectories = new Set([
  'pg_wal',
  'pg_stat_tmp',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
]);
/** Kept inside pg_wal, empty. */
const walSubdirectories = ['archive_status', 'summaries'];
/** Files left out wherever they are, and files left out at the top. */
const excludedAnywhere = new Set(['pg_internal.init']);
const excludedAtTop = new Set([
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'backup_label',
  'tablespace_map',
  'backup_manifest',
  'postmaster.pid',
  'postmaster.opts',
]);

/**
 * One entry of the archive. Kept small (a cluster of a thousand databases has 300,000 files):
 * its tar header is made when it is written, a data directory file's path from its name.
 */
interface Planned {
  readonly name: string;
  readonly type: TarHeaderEntry['type'];
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly linkname?: string;
  /** Read from here instead of `<dataDir>/<name>` (the WAL added at the end). */
  readonly source?: string;
  readonly content?: Buffer;
  /** In the manifest (WAL is not: it is checked by its own headers on replay). */
  readonly listed: boolean;
  /** Left out: unchanged since the earlier backup that holds it. */
  readonly reused?: ReusableFile;
}

/** Lines kept as UTF-8 outside the JavaScript heap, in pieces that can move to another thread. */
class LinePieces {
  private static readonly pieceBytes = 1024 * 1024;
  private readonly pieces: Buffer[] = [];
  private piece = Buffer.allocUnsafeSlow(LinePieces.pieceBytes);
  private used = 0;
  private lines = 0;
  /** Lines not yet written, written a thousand at a time (one at a time cost a microsecond each). */
  private readonly pending: string[] = [];

  add(line: string): void {
    if (this.pending.push(line) === 1024) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = (this.lines === 0 ? '' : ',\n') + this.pending.join(',\n');
    this.lines += this.pending.length;
    this.pending.length = 0;
    const bytes = Buffer.byteLength(text);
    if (this.used + bytes > this.piece.length) {
      this.pieces.push(this.piece.subarray(0, this.used));
      this.piece = Buffer.allocUnsafeSlow(Math.max(LinePieces.pieceBytes, bytes));
      this.used = 0;
    }
    this.used += this.piece.write(text, this.used);
  }

  /** The pieces, each owning its memory (so it can be transferred). */
  finish(): Uint8Array[] {
    this.flush();
    const all = [...this.pieces, this.piece.subarray(0, this.used)];
    return all.map((piece) => new Uint8Array(piece.buffer, 0, piece.length));
  }
}

const { dataDir } = (workerData as { data: { dataDir: string } }).data;
let reuse: ReusableIndex | undefined;
const references = new Set<string>();
const port = parentPort!;
const emptySlabs: Buffer[] = [];
let waitingForSlab: (() => void) | undefined;
let slab: Buffer | undefined;
let filled = 0;
const manifest = new LinePieces();
let work = Promise.resolve();

port.on('message', (command: FileBackupCommand) => {
  if (command.kind === 'slab') {
    emptySlabs.push(Buffer.from(command.slab.buffer, command.slab.byteOffset, command.slab.byteLength));
    waitingForSlab?.();
    return;
  }
  work = work.then(() => perform(command)).catch(fail);
});

async function perform(command: Exclude<FileBackupCommand, { kind: 'slab' }>): Promise<void> {
  if (command.kind === 'add') return write(command.entries.map(plannedExtra), true);
  if (command.kind === 'end') return finish();
  reuse = command.reuse ? new ReusableIndex(command.reuse) : undefined;
  const planned = walk();
  port.postMessage({
    kind: 'walked',
    totalBytes: planned.reduce((sum, entry) => sum + (entry.reused ? 0 : entry.size), 0),
    files: planned.length,
  } satisfies FileBackupReply);
  return write(planned, true);
}

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
    const unlogged = new Set(
      names.filter((name) => /^\d+_init$/.test(name)).map((name) => name.slice(0, -'_init'.length)),
    );
    for (const name of names) {
      const child = relative ? `${relative}/${name}` : name;
      if (excludedAnywhere.has(name) || name.startsWith('pgsql_tmp') || (!relative && excludedAtTop.has(name)))
        continue;
      // An unlogged relation is reset from its init fork on recovery: only that fork is kept.
      if (unlogged.size > 0) {
        const relation = /^(\d+)(?:_(?:fsm|vm))?(?:\.\d+)?$/.exec(name);
        if (relation && unlogged.has(relation[1]!)) continue;
      }
      const info = lstatSafe(`${dir}/${name}`); // not path.join: tens of thousands of names, each already plain
      if (!info) continue; // gone since the listing (a dropped table): nothing to keep
      if (info.isDirectory()) {
        if (emptied) continue;
        planned.push(entryOf(child, 'directory', info));
        if (!relative && emptiedDirectories.has(name)) {
          if (name === 'pg_wal') for (const sub of walSubdirectories) addDirectory(planned, `pg_wal/${sub}`);
          continue;
        }
        visit(child, false);
      } else if (info.isSymbolicLink()) {
        planned.push({ ...entryOf(child, 'symlink', info), linkname: readlinkSync(path.join(dir, name)) });
      } else if (info.isFile() && !emptied) {
        planned.push(entryOf(child, 'file', info, reuse?.unchanged(child, info.size, info.mtimeMs)));
      }
    }
  };
  visit('', false);
  return planned;
}

function addDirectory(planned: Planned[], name: string): void {
  const info = lstatSafe(path.join(dataDir, name));
  if (info?.isDirectory()) planned.push(entryOf(name, 'directory', info));
}

function plannedExtra(entry: ExtraEntry): Planned {
  if ('content' in entry) {
    const content = Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength);
    return {
      name: entry.name,
      type: 'file',
      mode: 0o600,
      size: content.length,
      mtimeMs: Date.now(),
      content,
      listed: true,
    };
  }
  return { ...entryOf(entry.name, 'file', lstatSync(entry.path)), source: entry.path, listed: false };
}

function entryOf(name: string, type: TarHeaderEntry['type'], info: Stats, reused?: ReusableFile): Planned {
  const size = type === 'file' ? info.size : 0;
  const listed = type === 'file';
  return reused
    ? { name, type, mode: info.mode, size, mtimeMs: info.mtimeMs, listed, reused }
    : { name, type, mode: info.mode, size, mtimeMs: info.mtimeMs, listed };
}

function lstatSafe(file: string): Stats | undefined {
  return lstatSync(file, { throwIfNoEntry: false });
}

/** Writes the entries into the slabs; `idle` tells the parent when they are all handed back but the open slab. */
async function write(entries: readonly Planned[], idle: boolean): Promise<void> {
  for (const entry of entries) await writeEntry(entry);
  if (idle) port.postMessage({ kind: 'idle' } satisfies FileBackupReply);
}

async function writeEntry(entry: Planned): Promise<void> {
  if (entry.reused) {
    references.add(entry.reused.backup);
    manifest.add(
      manifestLine(entry.name, entry.size, entry.reused.lastModified, entry.reused.checksum, entry.reused.backup),
    );
    return;
  }
  let fd: number | undefined;
  if (entry.type === 'file' && !entry.content) {
    try {
      fd = openSync(entry.source ?? path.join(dataDir, entry.name), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed since the walk, as BASE_BACKUP skips it
      throw error;
    }
  }
  try {
    const mtime = new Date(entry.mtimeMs);
    await put(
      tarHeader({
        name: entry.name,
        type: entry.type,
        mode: entry.mode,
        size: entry.size,
        mtime,
        linkname: entry.linkname,
      }),
    );
    const crc = new Crc32c();
    let done = 0;
    while (done < entry.size) {
      const room = await space();
      const want = Math.min(room, entry.size - done);
      const at = filled;
      let got = entry.content
        ? copyIntoSlab(entry.content.subarray(done, done + want), slab!, at)
        : readSync(fd!, slab!, at, want, done);
      // Shorter than it was at the walk (truncated meanwhile): zeros, as BASE_BACKUP sends; WAL replay restores it.
      if (got === 0) got = fillZeros(want);
      crc.update(slab!.subarray(at, at + got));
      filled += got;
      done += got;
    }
    await putZeros(tarPadding(entry.size));
    if (entry.listed) manifest.add(manifestLine(entry.name, entry.size, manifestTime(mtime), crc.manifestHex()));
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
  for (let done = 0; done < data.length;) {
    await space();
    const copied = copyIntoSlab(data.subarray(done), slab!, filled);
    filled += copied;
    done += copied;
  }
}

async function putZeros(count: number): Promise<void> {
  for (let left = count; left > 0;) {
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
  const manifestLines = manifest.finish();
  port.postMessage(
    { kind: 'done', manifestLines, references: [...references].sort() } satisfies FileBackupReply,
    manifestLines.map((piece) => piece.buffer as ArrayBuffer),
  );
}

/**
 * One file of backup_manifest, as PostgreSQL writes it; a file left out as unchanged also names
 * the backup that holds it (`Reference`, as pgBackRest's manifest does). Written out rather
 * than stringified from an object: an incremental lists tens of thousands of files it does not
 * copy, and that was most of the time it spent on them.
 */
function manifestLine(name: string, size: number, lastModified: string, crc32c: string, reference?: string): string {
  const held = reference === undefined ? '' : `,"Reference":${JSON.stringify(reference)}`;
  return `{"Path":${JSON.stringify(name)},"Size":${size},"Last-Modified":${JSON.stringify(lastModified)},"Checksum-Algorithm":"CRC32C","Checksum":${JSON.stringify(crc32c)}${held}}`;
}

/** A manifest's `Last-Modified`: `2026-12-07 02:00:01 GMT`. */
function manifestTime(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} GMT`;
}
