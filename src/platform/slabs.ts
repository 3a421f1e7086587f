/**
 * Large buffers kept for reuse, on shared memory. Backups move gigabytes in megabyte pieces;
 * allocating each piece anew (or moving it to a worker and back) made V8 run a full garbage
 * collection every few tens of megabytes ("external memory pressure"), a quarter of the main
 * thread's time. Shared memory is allocated once and reaches the sealing workers without a
 * copy or a transfer. A buffer given back must not be used by anyone afterwards.
 */
const kept = new Map<number, Buffer[]>();
/** Buffers kept per size: enough for the pieces in flight between a reader and the sealing workers. */
const keepPerSize = 16;
/** Kept buffers are let go after this long without use, so an idle process does not hold them. */
const idleMs = 10_000;
let forget: ReturnType<typeof setTimeout> | undefined;

function touched(): void {
  if (forget) forget.refresh();
  else forget = setTimeout(() => {
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
  return buffer.buffer instanceof SharedArrayBuffer && buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.byteLength > 0;
}

/** Returns a buffer taken with takeSlab for reuse; anything else is left to the garbage collector. */
export function giveSlab(buffer: Buffer): void {
  if (!isSlab(buffer)) return;
  touched();
  const list = kept.get(buffer.byteLength) ?? [];
  if (list.length >= keepPerSize) return;
  list.push(buffer);
  kept.set(buffer.byteLength, list);
}
