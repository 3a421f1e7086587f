import { appError } from '../../src/platform/errors.js';
import { measured, type ObjectStore, type StoredObject } from '../../src/platform/storage/store.js';

/** An object store in memory, for unit tests; `failPuts` makes every write fail with that message. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  failPuts: string | undefined;

  describe(): string {
    return 'memory';
  }

  async put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject> {
    const { stream, result } = measured(body);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      if (this.failPuts) throw new Error(this.failPuts);
      chunks.push(Buffer.from(chunk));
    }
    if (this.failPuts) throw new Error(this.failPuts);
    this.objects.set(key, Buffer.concat(chunks));
    return result(key);
  }

  async *get(key: string): AsyncIterable<Buffer> {
    const object = this.objects.get(key);
    if (!object) throw appError('BACKUP_NOT_FOUND', `${key} is not in this store.`);
    yield object;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, object]) => ({ key, bytes: object.length }));
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
