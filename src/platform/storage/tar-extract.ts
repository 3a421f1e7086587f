import { execFile } from 'node:child_process';
import { mkdir, open, symlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TarReader, type TarEntry } from './tar-reader.js';

const run = promisify(execFile);

export interface ExtractOptions {
  /** Owner of everything written (the Postgres OS user when we are root). */
  readonly owner?: { uid: number; gid: number } | undefined;
  /** Called with the bytes of file content written so far. */
  readonly onBytes?: (bytes: number) => void;
}

/** Files up to this size are gathered and written in one call; larger ones are written piece by piece. */
const smallFileBytes = 1024 * 1024;
/** Bytes of content waiting to be written before reading more of the archive. */
const bytesQueued = 64 * 1024 * 1024;

/**
 * Unpacks a tar stream into `target`, refusing entries that would land outside it.
 * Returns the number of files and bytes written. Writing runs one operation at a time but
 * behind the reading (up to 64 MiB queued), so unpacking overlaps decryption and decompression;
 * creating files in parallel only cost more kernel time here (the directory's lock), no speed.
 * Directories are made once, ownership set in one pass at the end. On any failure it waits
 * for the queued writes to settle, then throws.
 */
export async function extractTar(source: AsyncIterable<Buffer>, target: string, options: ExtractOptions = {}): Promise<{ files: number; bytes: number }> {
  const root = path.resolve(target);
  const writes = new Writes();
  const dirs = new Set<string>([root]);
  const ensureDir = async (dir: string, mode = 0o700): Promise<void> => {
    if (dirs.has(dir)) return;
    await mkdir(dir, { recursive: true, mode });
    dirs.add(dir);
  };
  let files = 0;
  let bytes = 0;
  let file: FileWrite | undefined;

  const reader = new TarReader({
    entry(entry) {
      const destination = path.resolve(root, entry.name);
      if (destination !== root && !destination.startsWith(`${root}${path.sep}`)) throw new Error(`archive entry ${entry.name} points outside ${root}`);
      if (entry.type === 'directory') writes.add(() => ensureDir(destination, entry.mode || 0o700), 0);
      else if (entry.type === 'symlink') writes.add(() => ensureDir(path.dirname(destination)).then(() => symlink(entry.linkname, destination)), 0);
      else file = new FileWrite(destination, entry, () => ensureDir(path.dirname(destination)), writes);
    },
    data(data) {
      file!.data(data);
      bytes += data.length;
    },
    end(entry) {
      if (entry.type !== 'file') return;
      file!.end();
      file = undefined;
      files++;
      options.onBytes?.(bytes);
    },
  });
  try {
    for await (const chunk of source) {
      reader.feed(chunk);
      await writes.room();
    }
    reader.finish();
  } catch (error) {
    file?.abandon();
    await writes.settled();
    throw error;
  }
  await writes.done();
  if (options.owner) await run('chown', ['-R', '--no-dereference', `${options.owner.uid}:${options.owner.gid}`, root]);
  return { files, bytes };
}

/** One file being written: gathered whole if small, else opened and written piece by piece. */
class FileWrite {
  private pieces: Buffer[] = [];
  private handle: FileHandle | undefined;

  constructor(
    private readonly destination: string,
    private readonly entry: TarEntry,
    private readonly dirReady: () => Promise<void>,
    private readonly writes: Writes,
  ) {}

  data(data: Buffer): void {
    if (this.entry.size <= smallFileBytes) {
      this.pieces.push(data);
      return;
    }
    this.writes.add(async () => {
      if (!this.handle) {
        await this.dirReady();
        this.handle = await open(this.destination, 'w', this.entry.mode || 0o600);
      }
      for (let offset = 0; offset < data.length; ) offset += (await this.handle.write(data, offset)).bytesWritten;
    }, data.length);
  }

  end(): void {
    if (this.entry.size > smallFileBytes) {
      this.abandon();
      return;
    }
    const content = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    this.pieces = [];
    this.writes.add(() => this.dirReady().then(() => writeFile(this.destination, content, { mode: this.entry.mode || 0o600 })), content.length);
  }

  /** Closes the file once its queued writes are done (even after a failure: the queue runs everything). */
  abandon(): void {
    this.writes.add(async () => this.handle?.close(), 0, true);
  }
}

/** Write operations, run one at a time in order; the first failure is kept, and only cleanups run after it. */
class Writes {
  private tail: Promise<void> = Promise.resolve();
  private bytes = 0;
  private failure: unknown;
  private drained: (() => void) | undefined;

  add(operation: () => Promise<unknown>, bytes: number, always = false): void {
    this.bytes += bytes;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure === undefined || always) await operation();
      } catch (error) {
        this.failure ??= error;
      } finally {
        this.bytes -= bytes;
        if (this.bytes <= bytesQueued) this.drained?.();
      }
    });
  }

  /** Waits until the queue is short enough to read more; throws the first failure. */
  async room(): Promise<void> {
    while (this.bytes > bytesQueued && this.failure === undefined) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  async settled(): Promise<void> {
    await this.tail;
  }

  async done(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }
}
