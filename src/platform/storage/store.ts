import { randomBytes } from 'node:crypto';
import { Crc32c } from '../checksum.js';
import { isAppError } from '../errors.js';

/**
 * An object store a backup repository lives in: a directory, an S3 bucket, an SFTP
 * server. Keys are `/`-separated paths. `put` is atomic: an object is either absent or
 * complete; a reader never sees half of one.
 */
export interface ObjectStore {
  /** Where it is, for people (never containing a secret). */
  describe(): string;
  /** Writes the object atomically; returns its size and CRC-32C. */
  put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject>;
  /**
   * `put` keeps nothing of a piece of the body once it asks for the next (it has written it),
   * so the writer may let the piece's memory go then (see streams.ts's broadcast).
   */
  readonly forgetsPieces?: boolean;
  /** Reads the object; throws REPOSITORY_UNAVAILABLE or BACKUP_NOT_FOUND. */
  get(key: string): AsyncIterable<Buffer>;
  /** Objects whose keys start with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /**
   * Removes the temporary files of writes a process died in the middle of, last changed before
   * `olderThan`; returns how many. S3 has none to remove: an unfinished multipart upload is
   * invisible, and a bucket lifecycle rule (AbortIncompleteMultipartUpload) expires it.
   */
  removeUnfinished?(olderThan: Date): Promise<number>;
  /** Releases connections, if the store holds any. */
  close?(): Promise<void>;
}

export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
  /** CRC-32C of the object's bytes (8 hex digits); known for objects just written, not for listed ones. */
  readonly crc32c?: string;
}

/** An object's whole body (a small one: a record, a claim), or undefined when the store has no such object. */
export async function readWhole(store: ObjectStore, key: string): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of store.get(key)) chunks.push(chunk);
  } catch (error) {
    if (isAppError(error) && error.code === 'BACKUP_NOT_FOUND') return undefined;
    throw error;
  }
  return Buffer.concat(chunks);
}

/** Passes `body` through while counting its bytes and checksumming it, for `put`'s result. */
export function measured(body: AsyncIterable<Buffer>): {
  stream: AsyncIterable<Buffer>;
  result(key: string): StoredObject;
} {
  const hash = new Crc32c();
  let bytes = 0;
  return {
    stream: (async function* () {
      for await (const chunk of body) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    })(),
    result: (key) => ({ key, bytes, crc32c: hash.hex() }),
  };
}

/** A temporary name beside `file` for an atomic write; listings skip such names. */
export function temporaryNameFor(file: string): string {
  return `${file}.part-${randomBytes(4).toString('hex')}`;
}

/** Whether a listed name is a temporary file of an unfinished write. */
export const isTemporaryName = (name: string): boolean => /\.part-[0-9a-f]{8}$/.test(name);
