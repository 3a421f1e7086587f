/**
 * Large buffers kept for reuse, on shared memory. Backups move gigabytes in megabyte pieces;
 * allocating each piece anew (or moving it to a worker and back) made V8 run a full garbage
 * collection every few tens of megabytes ("external memory pressure"), a quarter of the main
 * thread's time. Shared memory is allocated once and reaches the sealing workers without a
 * copy or a transfer. A buffer given back must not be used by anyone afterwards.
 */
const kept = new Map<number, Buffer[]>();
/**
 * Buffers kept per size: enough for the pieces in flight between a reader and the sealing
 * workers, and on a restore for the 64 MiB the writing thread may be behind (16 chunks).
 */
const keepPerSize = 32;
/** Kept buffers are let go after this long without use, so an idle process does not hold them. */
const idleMs = 10_000;
let forget: ReturnType<typeof setTimeout> | undefined;

function touched(): void {
  if (forget) forget.refresh();
  else
    forget = setTimeout(() => {
      kept.clear();
      forget = undefined;
    }, idleMs).unref();
}

/** A buffer of exactly `size` bytes on shared memory of its own (contents undefined). */
export function takeSlab(size: number): Buffer {
  touched();
  return kept.get(size)?.pop() ?? Buffer.from(new SharedArrayBuffer(size));
}

/** Whether `buffer` is a whole slab (as takeSlab makes), not a view into one. */
export function isSlab(buffer: Buffer): boolean {
  return (
    buffer.buffer instanceof SharedArrayBuffer &&
    buffer.byteOffset === 0 &&
    buffer.byteLength === buffer.buffer.byteLength &&
    buffer.byteLength > 0
  );
}

/** The slab behind each view made by slabView, the only view of it. */
const viewed = new WeakMap<Buffer, Buffer>();

/** The first `length` bytes of a slab of `size` bytes: given back (giveSlab) as a whole slab. */
export function slabView(size: number, length: number): Buffer {
  return viewOfSlab(takeSlab(size), length);
}

/** The first `length` bytes of `slab`, as the one view of it that gives it back (giveSlab). */
export function viewOfSlab(slab: Buffer, length: number): Buffer {
  const view = slab.subarray(0, length);
  viewed.set(view, slab);
  return view;
}

/** The slab `buffer` is, or is the view of (slabView), to give back; undefined for anything else. */
export function slabOf(buffer: Buffer): Buffer | undefined {
  return isSlab(buffer) ? buffer : viewed.get(buffer);
}

/**
 * Returns a buffer taken with takeSlab (or a view made by slabView) for reuse; anything else
 * is left to the garbage collector.
 */
export function giveSlab(given: Buffer): void {
  const buffer = slabOf(given);
  if (!buffer) return;
  touched();
  const list = kept.get(buffer.byteLength) ?? [];
  if (list.length >= keepPerSize) return;
  list.push(buffer);
  kept.set(buffer.byteLength, list);
}

/**
 * Copies as much of `source` as fits into `slab` at `offset`; returns the bytes copied.
 * Buffer#copy into shared memory goes through V8's relaxed (atomic-safe) copy, which falls to
 * one byte at a time when the two sides are not equally aligned, as the payload of a protocol
 * message after its header is: 2.3 GB/s against 10 here, a tenth of a backup's CPU time.
 * Buffer#fill with a buffer copies it with memcpy, and copies it once when it fills the range.
 */
export function copyIntoSlab(source: Buffer, slab: Buffer, offset: number): number {
  const count = Math.min(source.length, slab.length - offset);
  if (count > 0) slab.fill(source.length === count ? source : source.subarray(0, count), offset, offset + count);
  return count;
}

/** Memory handed over by its producer: nobody but the reader of the piece keeps it (see disposable). */
const handedOver = new WeakSet<ArrayBuffer>();

/**
 * Marks `piece` as its reader's to let go of: a producer that keeps nothing of a piece once it
 * hands it on (a file read into memory of its own) says so, and the reader that consumes it
 * may then move its memory away (sealPool.release) instead of leaving it to the collector.
 * Only a piece owning all of its memory is marked; returns it.
 */
export function disposable(piece: Buffer): Buffer {
  if (ownsItsMemory(piece)) handedOver.add(piece.buffer as ArrayBuffer);
  return piece;
}

/** Whether `buffer` is all of memory of its own (not shared, not a view into more), so it can be moved to another thread. */
export function ownsItsMemory(buffer: Buffer): boolean {
  return (
    !(buffer.buffer instanceof SharedArrayBuffer) &&
    buffer.byteOffset === 0 &&
    buffer.byteLength === buffer.buffer.byteLength
  );
}

/** The memory behind `piece`, if it was marked disposable and not taken yet (taking it unmarks it). */
export function takeDisposable(piece: Buffer): ArrayBuffer | undefined {
  const memory = piece.buffer;
  if (memory instanceof SharedArrayBuffer || !handedOver.delete(memory)) return undefined;
  return memory;
}
