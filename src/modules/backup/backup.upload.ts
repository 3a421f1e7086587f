import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { sealPool } from '../../platform/crypto/seal-pool.js';
import { seal } from '../../platform/crypto/sealed.js';
import { appError } from '../../platform/errors.js';
import type { StoredObject } from '../../platform/storage/store.js';
import { broadcast, pushable } from '../../platform/streams.js';
import { backupPrefix } from './backup.catalog.js';
import type { ObjectEntry } from './backup.objects.js';
import type { Repository } from './backup.ports.js';

type Stored = StoredObject & { plainBytes: number };

/** Postgres omits the tar trailer (two 512-byte zero blocks); we add it so each archive is a valid tar. */
const tarTrailer = Buffer.alloc(1024);

/**
 * A backup's objects on their way to the repositories, one archive at a time: what each
 * repository stored is noted for its record, and a repository that failed once (in `failures`)
 * is left out of the archives after.
 */
export class BackupUpload {
  /** Per repository, the objects it has stored. */
  readonly objects: Map<string, ObjectEntry[]>;
  private sink: ArchiveSink | undefined;

  constructor(
    private readonly repositories: readonly Repository[],
    private readonly id: string,
    private readonly key: BackupKey,
    readonly failures: Map<string, string>,
    /** The cluster's system identifier, bound to every object. */
    private readonly cluster: string,
  ) {
    this.objects = new Map(repositories.map((repository) => [repository.name, []]));
  }

  /** Starts the object `name` (an archive, or the manifest), after finishing the one before. */
  async open(name: string): Promise<void> {
    await this.close();
    const healthy = this.repositories.filter((repository) => !this.failures.has(repository.name));
    this.sink = new ArchiveSink(
      name,
      `${backupPrefix(this.id)}${name}.sealed`,
      { sealing: this.key, cluster: this.cluster },
      healthy,
      name.endsWith('.tar'),
    );
  }

  async push(chunk: Buffer): Promise<void> {
    await this.sink?.push(chunk);
  }

  /** Finishes the object being written, noting where it was stored and where it failed. */
  async close(): Promise<void> {
    if (!this.sink) return;
    const done = this.sink;
    this.sink = undefined;
    for (const [repository, result] of await done.finish()) {
      if (result instanceof Error) this.failures.set(repository, result.message);
      else
        this.objects.get(repository)!.push({
          name: done.name,
          key: result.key,
          bytes: result.bytes,
          crc32c: result.crc32c!,
          plainBytes: result.plainBytes,
        });
    }
  }

  /** Fails the uploads under way, so their temporary objects are removed; resolves once they have. */
  async abort(error: Error): Promise<void> {
    await this.sink?.abort(error);
  }
}

/** One archive on its way to every repository: sealed once, written to each at once. */
class ArchiveSink {
  private readonly input = pushable<Buffer>(4);
  private readonly results: Promise<Map<string, Stored | Error>>;
  private plainBytes = 0;

  constructor(
    readonly name: string,
    key: string,
    sealed: { sealing: BackupKey; cluster: string },
    repositories: readonly Repository[],
    private readonly tar: boolean,
  ) {
    // The chunks pushed here come from the replication stream and are not used again: they move to the workers uncopied.
    // Where every repository writes a frame before it asks for the next, the frame's memory
    // leaves this thread then, not at a full garbage collection (see sealPool.release).
    const fan = broadcast(
      seal(this.input, sealed.sealing, key, { handOver: true, cluster: sealed.cluster }),
      repositories.length,
      repositories.every((repository) => repository.store.forgetsPieces)
        ? (frame) => sealPool.release(frame)
        : undefined,
    );
    const errors: string[] = [];
    const puts = repositories.map((repository, index) =>
      repository.store.put(key, fan.outputs[index]!).then(
        (stored) => ({ ...stored, plainBytes: this.plainBytes }),
        (error: Error) => {
          errors.push(`${repository.name}: ${error.message}`);
          fan.drop(index, error);
          return error;
        },
      ),
    );
    // If every repository has failed, nobody reads the input any more: make pushes fail.
    void fan.done.then(
      () => this.input.fail(appError('BACKUP_FAILED', `No repository could store the backup: ${errors.join('; ')}`)),
      (error: Error) => this.input.fail(error),
    );
    this.results = Promise.all(puts).then(
      (settled) => new Map(repositories.map((repository, index) => [repository.name, settled[index]!])),
    );
  }

  async push(chunk: Buffer): Promise<void> {
    this.plainBytes += chunk.length;
    await this.input.push(chunk);
  }

  /** Fails every upload of this archive; resolves once they have given up (and cleaned up). */
  async abort(error: Error): Promise<void> {
    this.input.fail(error);
    await this.results.catch(() => undefined);
  }

  async finish(): Promise<Map<string, Stored | Error>> {
    if (this.tar) await this.push(tarTrailer);
    this.input.end();
    return this.results;
  }
}
