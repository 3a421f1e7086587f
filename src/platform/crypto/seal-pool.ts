import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  copyIntoSlab,
  disposable,
  giveSlab,
  ownsItsMemory,
  slabOf,
  slabView,
  takeDisposable,
  takeSlab,
  viewOfSlab,
} from '../slabs.js';

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
  /**
   * The plaintext is written into a slab of shared memory, reused: the caller gives it back
   * (giveSlab) once done with it. Otherwise it is on memory of its own, moved here.
   */
  readonly intoSlab?: boolean;
}

/**
 * Plaintext per chunk of a sealed stream (sealed.ts cuts streams into chunks of this size):
 * large enough for good compression, small enough to keep memory flat.
 */
export const sealedChunkBytes = 4 * 1024 * 1024;

/**
 * Slabs for data copied on its way to a worker: a frame opened on a restore is read into one
 * (see sealed.ts's ByteReader), as is any view not ours to move. Memory allocated anew on this
 * thread for every megabyte-sized piece cost a full garbage collection every hundred megabytes
 * or so (see slabs.ts); a slab is reused. Large enough for any frame a reader accepts.
 */
export const lentSlabBytes = 5 * 1024 * 1024 + 64 * 1024;

/** `data` as a worker gets it, and the slab to give back once the worker is done with it. */
interface Lent {
  readonly data: Buffer;
  readonly slab?: Buffer | undefined;
}

/**
 * `data` as the worker can have it with the fewest copies and no new memory on this thread:
 * a slab (or the view slabView made of one) as it is, given back afterwards when it is ours;
 * a buffer owning all of its memory moved; anything else copied into a slab.
 */
function lend(data: Buffer, handOver: boolean): Lent {
  const slab = handOver ? slabOf(data) : undefined;
  if (slab) return { data, slab };
  if (handOver && ownsItsMemory(data)) return { data };
  if (data.length === 0) return { data: Buffer.alloc(0) };
  if (data.length <= lentSlabBytes) {
    const view = slabView(lentSlabBytes, data.length);
    copyIntoSlab(data, view, 0);
    return { data: view, slab: view };
  }
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return { data: copy };
}

/** A small buffer on its own memory: posting a view would copy the whole (pooled) memory behind it. */
function small(data: Buffer): Uint8Array {
  return new Uint8Array(data);
}

interface Pending {
  resolve(value: Buffer | null): void;
  reject(error: Error): void;
  /** The slab the worker writes the result into, if it fits. */
  out?: Buffer | undefined;
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
    const plain = lend(job.plain, job.handOver);
    const args = {
      key: small(job.key),
      nonce: small(job.nonce),
      aad: small(job.aad),
      plain: plain.data,
      final: job.final,
    };
    return this.run('seal', args, plain) as Promise<Buffer>;
  }

  /**
   * Hands a buffer nobody uses any more to a worker, which lets it go. Memory a thread lets go
   * of is collected by its own garbage collector; a buffer moved away from this thread leaves
   * at once, without the full collection of this thread's (large) heap that hundreds of
   * megabytes of dead buffers a second would otherwise cost it. Only memory marked disposable
   * (slabs.ts) moves, once; any other is left to the collector. Nobody may use `data` afterwards.
   */
  release(data: Buffer): void {
    const slot = this.workers[0];
    const memory = slot && takeDisposable(data);
    if (memory) slot.worker.postMessage({ op: 'release' }, [memory]);
  }

  /** The plaintext, or null when the frame fails authentication. */
  open(job: OpenJob): Promise<Buffer | null> {
    const sealed = lend(job.sealed, job.handOver);
    const out = job.intoSlab ? takeSlab(sealedChunkBytes) : undefined;
    const args = {
      key: small(job.key),
      nonce: small(job.nonce),
      aad: small(job.aad),
      sealed: sealed.data,
      compressed: job.compressed,
      out,
    };
    return this.run('open', args, sealed, out);
  }

  private run(op: 'seal' | 'open', args: Record<string, unknown>, lent: Lent, out?: Buffer): Promise<Buffer | null> {
    const slot = this.pick();
    const id = this.nextId++;
    const result = new Promise<Buffer | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: slot.worker, out });
      if (slot.busy++ === 0) slot.worker.ref();
      // Shared memory is shared by posting it; other memory moves (is transferred).
      const { data } = lent;
      slot.worker.postMessage(
        { id, op, args },
        data.byteLength > 0 && !(data.buffer instanceof SharedArrayBuffer) ? [data.buffer as ArrayBuffer] : [],
      );
    });
    // A slab goes back for the next piece once the worker is done with it.
    if (lent.slab) void result.finally(() => giveSlab(lent.slab!)).catch(() => undefined);
    return result;
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
    worker.on('message', (reply: { id: number; result?: Uint8Array | null; written?: number; error?: string }) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (--slot.busy === 0) worker.unref();
      // Written into the slab lent: the caller gives it back. Otherwise the slab was not used.
      if (job.out && reply.written !== undefined) return job.resolve(viewOfSlab(job.out, reply.written));
      if (job.out) giveSlab(job.out);
      if (reply.error !== undefined) job.reject(new Error(`sealing failed: ${reply.error}`));
      // The pool keeps nothing of what it hands out: its reader may let it go (sealPool.release).
      else
        job.resolve(
          reply.result
            ? disposable(Buffer.from(reply.result.buffer, reply.result.byteOffset, reply.result.byteLength))
            : null,
        );
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
