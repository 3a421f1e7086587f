/**
 * Large buffers kept for reuse, on shared memory. Backups move gigabytes in megabyte pieces;
 * allocating each piece anew (or moving it to a worker and back) made V8 run a full garbage
 * collection every few tens of megabytes ("external memory pressure"), a quarter of the main
 * thread's time. Shared memory is allocated once and reaches the sealing workers without a
 * copy or a transfer. A buffer given back must not be used by anyone afterwards.
 */
const kept = new Map<number, Buffer[]>();
/** Buffers kept per size: enough for the pieces in flight between a reader and the sealing workers. */
const keepPerSize = 32;

/** A buffer of exactly `size` bytes on shared memory of its own (contents undefined). */
export function takeSlab(size: number): Buffer {
  return kept.get(size)?.pop() ?? Buffer.from(new SharedArrayBuffer(size));
}

/** Whether `buffer` is a whole slab (as takeSlab makes), not a view into one. */
export function isSlab(buffer: Buffer): boolean {
  return buffer.buffer instanceof SharedArrayBuffer && buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.byteLength > 0;
}

/** Returns a buffer taken with takeSlab for reuse; anything else is left to the garbage collector. */
export function giveSlab(buffer: Buffer): void {
  if (!isSlab(buffer)) return;
  const list = kept.get(buffer.byteLength) ?? [];
  if (list.length >= keepPerSize) return;
  list.push(buffer);
  kept.set(buffer.byteLength, list);
}
