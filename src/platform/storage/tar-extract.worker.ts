/**
 * The writing half of extractTar (tar-extract.ts), on a thread of its own: reads the archive
 * chunks its parent posts and writes the entries with synchronous calls. Each asynchronous
 * file operation costs a hand-over to libuv's thread pool and back; for the thousands of small
 * files of a data directory that made writing 3 to 8 times slower in the kernel than the same
 * writes done in line (measured on a fresh ext4). A thread of its own keeps the parent's event
 * loop free while the writes block.
 */
import {
  closeSync,
  constants,
  fchownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { TarReader } from './tar-reader.js';

/** What the parent posts. */
export type ExtractCommand = { readonly chunk: Uint8Array } | { readonly end: true };
/** What the worker answers: an acknowledgement per chunk, then the totals or the first failure. */
export type ExtractReply =
  /** `fed`: archive bytes taken in so far; `bytes`: file content written so far. */
  | { readonly kind: 'written'; readonly fed: number; readonly bytes: number }
  | { readonly kind: 'done'; readonly files: number; readonly bytes: number }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: string | undefined };

const { target, only, owner } = (
  workerData as {
    data: {
      target: string;
      only?: ReadonlySet<string> | undefined;
      owner?: { uid: number; gid: number } | undefined;
    };
  }
).data;
const root = path.resolve(target);
const port = parentPort!;
const dirs = new Set<string>([root]);
// Everything written belongs to `owner`, set as it is made (as tar does): the target too.
if (owner) lchownSync(root, owner.uid, owner.gid);
const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
let files = 0;
let bytes = 0;
let fed = 0;
let fd: number | undefined;
let failed = false;
/** The entry being read is passed over (not among `only`). */
let passing = false;

/**
 * Makes `dir` and any parent missing under the root, each owned by `owner`. One already there
 * (an earlier archive of the same restore made it) must be a directory, not a link to one.
 */
function ensureDir(dir: string, mode = 0o700): void {
  if (dirs.has(dir)) return;
  if (!dir.startsWith(`${root}${path.sep}`)) throw new Error(`${dir} is not inside ${root}`);
  ensureDir(path.dirname(dir));
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is in the way of a directory of the archive`);
  }
  if (owner) lchownSync(dir, owner.uid, owner.gid);
  dirs.add(dir);
}

const reader = new TarReader({
  entry(entry) {
    passing = only !== undefined && !(entry.type === 'file' && only.has(entry.name.replace(/^\.\//, '')));
    if (passing) return;
    const destination = path.resolve(root, entry.name);
    if (destination !== root && !destination.startsWith(`${root}${path.sep}`))
      throw new Error(`archive entry ${entry.name} points outside ${root}`);
    if (entry.type === 'directory') return ensureDir(destination, entry.mode || 0o700);
    if (destination === root)
      throw new Error(`archive entry "${entry.name}" is a ${entry.type} in the place of ${root}`);
    ensureDir(path.dirname(destination));
    if (entry.type === 'symlink') {
      symlinkSync(entry.linkname, destination);
      if (owner) lchownSync(destination, owner.uid, owner.gid);
      return;
    }
    // Never through a link already there: a file of the archive is written where it names.
    fd = openSync(destination, writeFlags, entry.mode || 0o600);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
  },
  data(data) {
    if (passing) return;
    for (let offset = 0; offset < data.length;) offset += writeSync(fd!, data, offset);
    bytes += data.length;
  },
  end(entry) {
    if (entry.type !== 'file' || passing) return;
    closeSync(fd!);
    fd = undefined;
    files++;
  },
});

function fail(error: unknown): void {
  failed = true;
  if (fd !== undefined) closeSync(fd);
  fd = undefined;
  const { message, code } = error as NodeJS.ErrnoException;
  port.postMessage({ kind: 'failed', message, code } satisfies ExtractReply);
}

port.on('message', (command: ExtractCommand) => {
  if (failed) return; // the parent has been told; it stops posting and ends this thread
  try {
    if ('chunk' in command) {
      reader.feed(Buffer.from(command.chunk.buffer, command.chunk.byteOffset, command.chunk.byteLength));
      fed += command.chunk.byteLength;
      port.postMessage({ kind: 'written', fed, bytes } satisfies ExtractReply);
    } else {
      reader.finish();
      port.postMessage({ kind: 'done', files, bytes } satisfies ExtractReply);
    }
  } catch (error) {
    fail(error);
  }
});
