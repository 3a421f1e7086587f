import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, type SFTPWrapper } from 'ssh2';
import { appError } from '../errors.js';
import { isTemporaryName, measured, temporaryNameFor, type ObjectStore, type StoredObject } from './store.js';

export interface SftpStoreOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The private key this platform logs in with (key-pair authentication only; no passwords). */
  readonly privateKeyFile: string;
  /** The server's host key, as `ssh-keygen -lf` prints it (SHA256:...): anything else is refused. */
  readonly hostKeyFingerprint: string;
  /** Absolute directory on the server that holds the repository. */
  readonly path: string;
  /** Keepalive interval (default 10 s): a server silent for three of them counts as gone, and requests fail. */
  readonly keepaliveMs?: number;
}

const noSuchFile = 2;

/** OpenSSH's fingerprint of a host key: SHA256:base64, without padding. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A repository on a server reached by SFTP, authenticated both ways by keys: ours by our
 * private key, the server's by its pinned host-key fingerprint. Objects are written to a
 * temporary name, fsynced and renamed over (OpenSSH's posix-rename), so a reader sees
 * either nothing or the whole object.
 */
export class SftpStore implements ObjectStore {
  private session: Promise<Session> | undefined;

  constructor(private readonly options: SftpStoreOptions) {}

  describe(): string {
    return `sftp://${this.options.username}@${this.options.host}:${this.options.port}${this.options.path}`;
  }

  async put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject> {
    const file = this.pathOf(key);
    const temporary = temporaryNameFor(file);
    const content = measured(body);
    let offset = 0;
    try {
      const { sftp } = await this.connect();
      await this.makeDirectories(sftp, path.posix.dirname(file));
      const handle = await call<Buffer>((done) => sftp.open(temporary, 'w', 0o600, done));
      try {
        for await (const chunk of content.stream) {
          await call((done) => sftp.write(handle, chunk, 0, chunk.length, offset, done));
          offset += chunk.length;
        }
        await call((done) => sftp.ext_openssh_fsync(handle, done));
      } finally {
        await call((done) => sftp.close(handle, done)).catch(() => undefined);
      }
      await call((done) => sftp.ext_openssh_rename(temporary, file, done));
    } catch (error) {
      await this.connect()
        .then(({ sftp }) => call((done) => sftp.unlink(temporary, done)))
        .catch(() => undefined);
      throw this.unavailable(error, `writing ${key}`);
    }
    return content.result(key);
  }

  async *get(key: string): AsyncIterable<Buffer> {
    let sftp: SFTPWrapper;
    try {
      sftp = (await this.connect()).sftp;
      await call<unknown>((done) => sftp.stat(this.pathOf(key), done));
    } catch (error) {
      if ((error as { code?: number }).code === noSuchFile)
        throw appError('BACKUP_NOT_FOUND', `${key} does not exist in ${this.describe()}.`);
      throw this.unavailable(error, `reading ${key}`);
    }
    try {
      for await (const chunk of sftp.createReadStream(this.pathOf(key), { highWaterMark: 256 * 1024 }))
        yield chunk as Buffer;
    } catch (error) {
      throw this.unavailable(error, `reading ${key}`);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const start = prefix.endsWith('/') ? prefix.slice(0, -1) : path.posix.dirname(prefix);
    const objects: StoredObject[] = [];
    try {
      await this.walk(start === '.' ? '' : start, (key, attrs) => {
        if (!isTemporaryName(key) && key.startsWith(prefix)) objects.push({ key, bytes: attrs.size });
      });
    } catch (error) {
      throw this.unavailable(error, `listing ${prefix}`);
    }
    return objects.sort((a, b) => a.key.localeCompare(b.key));
  }

  async removeUnfinished(olderThan: Date): Promise<number> {
    const stale: string[] = [];
    try {
      await this.walk('', (key, attrs) => {
        if (isTemporaryName(key) && attrs.mtime * 1000 < olderThan.getTime()) stale.push(key);
      });
    } catch (error) {
      throw this.unavailable(error, 'listing unfinished writes');
    }
    for (const key of stale) await this.delete(key);
    return stale.length;
  }

  /** Calls `visit` for every file under `relative` (a missing directory has none). */
  private async walk(
    relative: string,
    visit: (key: string, attrs: { size: number; mtime: number }) => void,
  ): Promise<void> {
    const { sftp } = await this.connect();
    let entries;
    try {
      entries = await call<Array<{ filename: string; attrs: { size: number; mtime: number; isDirectory(): boolean } }>>(
        (done) => sftp.readdir(this.pathOf(relative), done),
      );
    } catch (error) {
      if ((error as { code?: number }).code === noSuchFile) return;
      throw error;
    }
    for (const entry of entries) {
      const key = relative === '.' || relative === '' ? entry.filename : `${relative}/${entry.filename}`;
      if (entry.attrs.isDirectory()) await this.walk(key, visit);
      else visit(key, entry.attrs);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      const { sftp } = await this.connect();
      await call((done) => sftp.unlink(this.pathOf(key), done));
    } catch (error) {
      if ((error as { code?: number }).code === noSuchFile) return;
      throw this.unavailable(error, `deleting ${key}`);
    }
  }

  /** Closes the connection (it is opened again on the next use). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    const open = await session?.catch(() => undefined);
    open?.client.end();
  }

  private connect(): Promise<Session> {
    this.session ??= (async () => {
      const privateKey = await readFile(this.options.privateKeyFile);
      const client = new Client();
      let lost: (error: Error) => void = () => undefined;
      // ssh2 never answers requests on a connection that died: every request races this instead.
      const closed = new Promise<never>((_, reject) => (lost = reject));
      closed.catch(() => undefined);
      const forget = (error?: Error): void => {
        this.session = undefined;
        lost(error instanceof Error ? error : new Error('the SFTP connection closed'));
      };
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('error', reject);
        client.connect({
          host: this.options.host,
          port: this.options.port,
          username: this.options.username,
          privateKey,
          readyTimeout: 10_000,
          // A server that stops answering (not closing) is given up after three unanswered keepalives.
          keepaliveInterval: this.options.keepaliveMs ?? 10_000,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer) => fingerprintOf(key) === this.options.hostKeyFingerprint,
        });
      });
      client.on('error', forget);
      client.on('close', () => forget());
      const raw = await call<SFTPWrapper>((done) => client.sftp(done));
      const sftp = guard(raw, closed);
      return { client, sftp };
    })();
    const session = this.session;
    session.catch(() => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  private async makeDirectories(sftp: SFTPWrapper, dir: string): Promise<void> {
    const parts = dir.split('/').filter(Boolean);
    let current = '';
    for (const part of parts) {
      current += `/${part}`;
      try {
        await call((done) => sftp.mkdir(current, done));
      } catch {
        // Exists already (or cannot be made: the write that follows says so).
      }
    }
  }

  private pathOf(key: string): string {
    const resolved = path.posix.resolve(this.options.path, key);
    if (resolved !== this.options.path && !resolved.startsWith(`${this.options.path}/`))
      throw new Error(`object key escapes the repository: ${key}`);
    return resolved;
  }

  private unavailable(error: unknown, doing: string): Error {
    const message = (error as Error).message ?? String(error);
    const reason = /All configured authentication methods failed/.test(message)
      ? 'our key was refused'
      : /Host denied|verification failed/i.test(message)
        ? "the server's host key does not match hostKeyFingerprint"
        : message;
    return appError('REPOSITORY_UNAVAILABLE', `Failed ${doing} in ${this.describe()}: ${reason}.`, { cause: error });
  }
}

interface Session {
  readonly client: Client;
  readonly sftp: SFTPWrapper;
}

/** The SFTP session, its callback methods failing at once when the connection dies. */
function guard(sftp: SFTPWrapper, closed: Promise<never>): SFTPWrapper {
  return new Proxy(sftp, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'createReadStream')
        return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        const callback = args.at(-1);
        if (typeof callback !== 'function') return (value as (...a: unknown[]) => unknown).apply(target, args);
        let settled = false;
        const once = (...results: unknown[]): void => {
          if (settled) return;
          settled = true;
          (callback as (...r: unknown[]) => void)(...results);
        };
        closed.catch((error: Error) => once(error));
        return (value as (...a: unknown[]) => unknown).apply(target, [...args.slice(0, -1), once]);
      };
    },
  });
}

function call<T = void>(operation: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => operation((error, value) => (error ? reject(error) : resolve(value as T))));
}
