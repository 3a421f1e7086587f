import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { giveSlab, isSlab } from '../slabs.js';

/** One chunk to compress, encrypt and frame (see sealed.ts for the format). */
export interface SealJob {
  readonly key: Buffer;
  readonly nonce: Buffer;
  /** The chunk's authenticated data; its last byte is set to the frame's flags. */
  readonly aad: Buffer;
  readonly plain: Buffer;
  readonly final: boolean;
  /** `plain` is the pool's to take (moved to the worker, unusable afterwards); otherwise it is copied. */
  readonly handOver: boolean;
}

/** One frame to authenticate, decrypt and decompress. */
export interface OpenJob {
  readonly key: Buffer;
  readonly nonce: Buffer;
  readonly aad: Buffer;
  /** The ciphertext followed by its 16-byte tag. */
  readonly sealed: Buffer;
  readonly compressed: boolean;
  /** As for SealJob. */
  readonly handOver: boolean;
}

/**
 * `data` as a buffer the worker can have without a copy: a slab (shared memory) as it is, a
 * buffer owning all of its memory to be moved; a view, or what is not ours to take, is copied.
 */
function owned(data: Buffer, handOver: boolean): Buffer {
  if (handOver && (isSlab(data) || (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength))) return data;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

/** A small buffer on its own memory: posting a view would copy the whole (pooled) memory behind it. */
function small(data: Buffer): Uint8Array {
  return new Uint8Array(data);
}

interface Pending {
  resolve(value: Buffer | null): void;
  reject(error: Error): void;
}

/**
 * Worker threads doing the CPU-heavy part of sealing (LZ4 + AES-256-GCM), one per core, so a
 * backup compresses and encrypts on every core while the main thread receives and writes.
 * Workers start on first use and do not keep the process alive while idle.
 */
class SealPool {
  private readonly workers: Array<{ worker: Worker; busy: number }> = [];
  private readonly pending = new Map<number, Pending & { worker: Worker }>();
  private nextId = 0;
  private nice = 0;

  constructor(readonly size: number) {}

  /**
   * Runs sealing at a lower CPU priority (a nice value, 1-19) from now on, for a process that
   * shares the machine with the PostgreSQL it backs up: WAL shipping and backups then take the
   * CPU that commits leave, instead of competing with them.
   */
  lowerPriority(nice: number): void {
    this.nice = nice;
    for (const { worker } of this.workers) worker.postMessage({ op: 'nice', args: { nice } });
  }

  seal(job: SealJob): Promise<Buffer> {
    const plain = owned(job.plain, job.handOver);
    const args = { key: small(job.key), nonce: small(job.nonce), aad: small(job.aad), plain, final: job.final };
    const frame = this.run('seal', args, plain) as Promise<Buffer>;
    // A slab of shared memory goes back for the next chunk once the worker is done with it.
    if (isSlab(plain)) void frame.finally(() => giveSlab(plain)).catch(() => undefined);
    return frame;
  }

  /** The plaintext, or null when the frame fails authentication. */
  open(job: OpenJob): Promise<Buffer | null> {
    const sealed = owned(job.sealed, job.handOver);
    const args = {
      key: small(job.key),
      nonce: small(job.nonce),
      aad: small(job.aad),
      sealed,
      compressed: job.compressed,
    };
    return this.run('open', args, sealed);
  }

  private run(op: 'seal' | 'open', args: Record<string, unknown>, data: Buffer): Promise<Buffer | null> {
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<Buffer | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: slot.worker });
      if (slot.busy++ === 0) slot.worker.ref();
      // Shared memory is shared by posting it; other memory moves (is transferred).
      slot.worker.postMessage(
        { id, op, args },
        data.byteLength > 0 && !isSlab(data) ? [data.buffer as ArrayBuffer] : [],
      );
    });
  }

  private pick(): { worker: Worker; busy: number } {
    const idle = this.workers.find((slot) => slot.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((least, slot) => (slot.busy < least.busy ? slot : least));
  }

  private spawn(): { worker: Worker; busy: number } {
    const worker = new Worker(new URL('./seal-worker.mjs', import.meta.url), { workerData: { nice: this.nice } });
    const slot = { worker, busy: 0 };
    worker.unref();
    worker.on('message', ({ id, result, error }: { id: number; result?: Uint8Array | null; error?: string }) => {
      const job = this.pending.get(id);
      if (!job) return;
      this.pending.delete(id);
      if (--slot.busy === 0) worker.unref();
      if (error !== undefined) job.reject(new Error(`sealing failed: ${error}`));
      else job.resolve(result ? Buffer.from(result.buffer, result.byteOffset, result.byteLength) : null);
    });
    const fail = (error: Error): void => {
      const at = this.workers.indexOf(slot);
      if (at >= 0) this.workers.splice(at, 1);
      for (const [id, job] of this.pending) {
        if (job.worker !== worker) continue;
        this.pending.delete(id);
        job.reject(new Error(`a sealing worker stopped: ${error.message}`));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.workers.push(slot);
    return slot;
  }
}

/** The process's pool: as many workers as cores (two at least, so one slow chunk does not stall the stream). */
export const sealPool = new SealPool(Math.max(2, availableParallelism()));
