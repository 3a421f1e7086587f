import { once } from 'node:events';
import path from 'node:path';
import { startWorker } from '../process/workers.js';
import { giveSlab, ownsItsMemory, slabOf } from '../slabs.js';
import type { ExtractCommand, ExtractReply } from './tar-extract.worker.js';

export interface ExtractOptions {
  /** Owner of everything written (the Postgres OS user when we are root). */
  readonly owner?: { uid: number; gid: number } | undefined;
  /** Called with the bytes of file content written so far. */
  readonly onBytes?: (bytes: number) => void;
  /**
   * The source's buffers are not used again by anyone, so a buffer owning all of its memory
   * moves to the writing thread without a copy (afterwards it is empty), and a slab (slabs.ts)
   * is shared with it and given back once written. Off by default.
   */
  readonly handOver?: boolean;
  /** Only these files are written (paths in the archive); its other entries are passed over. */
  readonly only?: ReadonlySet<string> | undefined;
}

/** Bytes of the archive posted to the writing thread and not yet written. */
const bytesInFlight = 64 * 1024 * 1024;

/**
 * Unpacks a tar stream into `target`, refusing entries that would land outside it, and
 * returns the number of files and bytes written. The writing runs on a thread of its own
 * with synchronous calls (see tar-extract.worker.ts), up to 64 MiB behind the reading, so
 * unpacking overlaps decryption and decompression. Ownership is set as each entry is made.
 * On any failure the writing thread has stopped before this throws.
 */
export async function extractTar(
  source: AsyncIterable<Buffer>,
  target: string,
  options: ExtractOptions = {},
): Promise<{ files: number; bytes: number }> {
  const writer = new ExtractWriter(path.resolve(target), options);
  try {
    for await (const chunk of source) {
      writer.post(chunk, options.handOver === true);
      await writer.room();
    }
    return await writer.finish();
  } finally {
    await writer.stop();
  }
}

/** The parent's side of the writing thread: posts chunks, counts what is in flight, keeps the first failure. */
class ExtractWriter {
  private readonly worker;
  private posted = 0;
  private written = 0;
  /** Slabs shared with the writing thread, each with the archive offset its end reaches. */
  private readonly lent: Array<{ slab: Buffer; end: number }> = [];
  private failure: Error | undefined;
  private result: { files: number; bytes: number } | undefined;
  private wake: (() => void) | undefined;

  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(target: string, { only, owner, onBytes }: ExtractOptions) {
    this.onBytes = onBytes;
    this.worker = startWorker(new URL('./tar-extract.worker.ts', import.meta.url), { target, only, owner });
    this.worker.on('message', (reply: ExtractReply) => this.receive(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the thread writing the files stopped (exit code ${code})`)));
  }

  post(chunk: Buffer, handOver: boolean): void {
    if (this.failure) throw this.failure;
    this.posted += chunk.length;
    // A slab handed over is shared with the writing thread, and given back once it is written.
    const slab = handOver ? slabOf(chunk) : undefined;
    if (slab) {
      this.lent.push({ slab, end: this.posted });
      this.worker.postMessage({ chunk } satisfies ExtractCommand);
      return;
    }
    const owned = handOver && ownsItsMemory(chunk);
    const data = owned ? chunk : Buffer.from(chunk);
    this.worker.postMessage(
      { chunk: data } satisfies ExtractCommand,
      data.length > 0 ? [data.buffer as ArrayBuffer] : [],
    );
  }

  /** Waits until the writing thread is close enough behind; throws its failure. */
  async room(): Promise<void> {
    while (this.posted - this.written > bytesInFlight && !this.failure)
      await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<{ files: number; bytes: number }> {
    this.worker.postMessage({ end: true } satisfies ExtractCommand);
    while (!this.result && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
    return this.result!;
  }

  /** Ends the thread; after this nothing more is written. */
  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    const exited = once(this.worker, 'exit');
    await this.worker.terminate();
    await exited.catch(() => undefined);
  }

  private receive(reply: ExtractReply): void {
    if (reply.kind === 'written') {
      this.written = reply.fed;
      while (this.lent.length > 0 && this.lent[0]!.end <= reply.fed) giveSlab(this.lent.shift()!.slab);
      this.onBytes?.(reply.bytes);
    } else if (reply.kind === 'done') {
      this.result = { files: reply.files, bytes: reply.bytes };
    } else {
      this.fail(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    }
    this.wake?.();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}
