import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { appError } from '../errors.js';
import { disposable } from '../slabs.js';
import { isTemporaryName, measured, temporaryNameFor, type ObjectStore, type StoredObject } from './store.js';

/**
 * Written bytes after which a write asks the disk to catch up, without waiting. The kernel
 * starts writing back only past gigabytes of dirty data, so a backup's object of hundreds of
 * megabytes sat in memory until its final fsync, which then stalled the backup for a second.
 */
const flushEveryBytes = 32 * 1024 * 1024;

/**
 * A repository in a local or mounted directory. Objects are written to a temporary name,
 * fsynced, renamed into place and the directory fsynced: after a crash an object is
 * either complete or absent (temporary files are ignored and cleaned up).
 */
export class FsStore implements ObjectStore {
  /** put writes each piece before it asks for the next. */
  readonly forgetsPieces = true;

  /** `fileMode`: 0o600 for backups (only this user reads them); 0o644 for files a web server serves (the status page). */
  constructor(
    private readonly root: string,
    private readonly fileMode = 0o600,
  ) {}

  describe(): string {
    return `directory ${this.root}`;
  }

  async put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject> {
    const file = this.pathOf(key);
    const temporary = temporaryNameFor(file);
    const content = measured(body);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeDurably(temporary, content.stream, this.fileMode);
      await rename(temporary, file);
      await fsync(path.dirname(file));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw wrap(error, `writing ${key} to ${this.describe()}`);
    }
    return content.result(key);
  }

  async *get(key: string): AsyncIterable<Buffer> {
    try {
      // Each piece is read into memory of its own, which the stream keeps nothing of.
      for await (const chunk of createReadStream(this.pathOf(key), { highWaterMark: 1024 * 1024 }))
        yield disposable(chunk as Buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw appError('BACKUP_NOT_FOUND', `${key} does not exist in ${this.describe()}.`);
      throw wrap(error, `reading ${key} from ${this.describe()}`);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = this.pathOf(prefix.endsWith('/') ? prefix : path.posix.dirname(prefix));
    let entries: string[];
    try {
      entries = (await readdir(base, { recursive: true })) as string[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw wrap(error, `listing ${prefix} in ${this.describe()}`);
    }
    const objects: StoredObject[] = [];
    for (const entry of entries.sort()) {
      if (isTemporaryName(entry)) continue;
      const full = path.join(base, entry);
      const key = path.relative(this.root, full).split(path.sep).join('/');
      if (!key.startsWith(prefix)) continue; // before stat: a narrow prefix in a big directory stays cheap
      const info = await stat(full).catch(() => undefined);
      if (info?.isFile()) objects.push({ key, bytes: info.size });
    }
    return objects;
  }

  async removeUnfinished(olderThan: Date): Promise<number> {
    let entries: string[];
    try {
      entries = (await readdir(this.root, { recursive: true })) as string[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw wrap(error, `listing ${this.describe()}`);
    }
    let removed = 0;
    for (const entry of entries.filter(isTemporaryName)) {
      const info = await stat(path.join(this.root, entry)).catch(() => undefined);
      if (!info?.isFile() || info.mtime >= olderThan) continue;
      await this.delete(entry.split(path.sep).join('/'));
      removed++;
    }
    return removed;
  }

  /** Removes the object, and directories it leaves empty (as object stores have no directories). */
  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await rm(file, { force: true });
    for (let dir = path.dirname(file); dir.startsWith(`${this.root}${path.sep}`); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or gone): stop climbing
      }
    }
  }

  private pathOf(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (resolved !== this.root && !resolved.startsWith(`${this.root}${path.sep}`))
      throw new Error(`object key escapes the repository: ${key}`);
    return resolved;
  }
}

/** Writes `body` to a new `file` and fsyncs it; on the way, each 32 MiB is flushed while writing goes on. */
async function writeDurably(file: string, body: AsyncIterable<Buffer>, mode: number): Promise<void> {
  const handle = await open(file, 'w', mode);
  let flushing: Promise<void> | undefined;
  let unflushed = 0;
  try {
    for await (const chunk of body) {
      await writeAll(handle, chunk);
      unflushed += chunk.length;
      if (unflushed >= flushEveryBytes && !flushing) {
        unflushed = 0;
        flushing = handle.datasync().finally(() => (flushing = undefined));
        flushing.catch(() => undefined); // its failure shows in the final sync
      }
    }
    await flushing?.catch(() => undefined);
    await handle.sync();
  } finally {
    await flushing?.catch(() => undefined);
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length;) offset += (await handle.write(data, offset)).bytesWritten;
}

async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function wrap(error: unknown, doing: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : (error as Error).message;
  return appError('REPOSITORY_UNAVAILABLE', `Failed ${doing}: ${reason}.`, { cause: error });
}
