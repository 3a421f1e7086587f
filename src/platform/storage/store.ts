/**
 * An object store a backup repository lives in: a directory, an S3 bucket, an SFTP
 * server. Keys are `/`-separated paths. `put` is atomic: an object is either absent or
 * complete; a reader never sees half of one.
 */
export interface ObjectStore {
  /** Where it is, for people (never containing a secret). */
  describe(): string;
  /** Writes the object atomically; returns its size and SHA-256. */
  put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject>;
  /** Reads the object; throws REPOSITORY_UNAVAILABLE or BACKUP_NOT_FOUND. */
  get(key: string): AsyncIterable<Buffer>;
  /** Objects whose keys start with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
  readonly sha256?: string;
}
