import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyIntoSlab, disposable, giveSlab, isSlab, slabOf, slabView, takeDisposable, takeSlab } from './slabs.js';

test('a slab given back is the next one taken of its size; views and other buffers are not kept', () => {
  const slab = takeSlab(12_345);
  assert.equal(slab.length, 12_345);
  assert.ok(isSlab(slab));
  giveSlab(slab.subarray(0, 100)); // a view: never reused, someone may still hold the rest
  giveSlab(Buffer.alloc(12_345)); // not shared memory
  giveSlab(slab);
  assert.equal(takeSlab(12_345), slab);
  assert.notEqual(takeSlab(12_345), slab);
});

test('copies into a slab at any alignment, as much as fits, and nothing past it', () => {
  const slab = takeSlab(16);
  slab.fill(0);
  const message = Buffer.from('HDRxyzabcdefghijklmnop');
  assert.equal(copyIntoSlab(message.subarray(3, 9), slab, 1), 6); // a payload after a 3-byte header
  assert.equal(copyIntoSlab(message.subarray(9), slab, 7), 9); // 13 bytes offered, 9 fit
  assert.equal(slab.toString('latin1'), '\0xyzabcdefghijkl');
  assert.equal(copyIntoSlab(message, slab, 16), 0);
});

test('a view made by slabView gives back its whole slab, once; another view of it does not', () => {
  const view = slabView(23_456, 100);
  assert.equal(view.length, 100);
  const slab = slabOf(view)!;
  assert.ok(isSlab(slab));
  assert.equal(slab.length, 23_456);
  assert.equal(slabOf(slab.subarray(0, 100)), undefined); // the same bytes, but not the view made
  giveSlab(view);
  assert.equal(takeSlab(23_456), slab);
});

test('a piece marked disposable is taken once; views, shared memory and unmarked pieces never', () => {
  const piece = disposable(Buffer.allocUnsafeSlow(1000));
  const memory = takeDisposable(piece);
  assert.equal(memory, piece.buffer);
  assert.equal(takeDisposable(piece), undefined); // taken already
  assert.equal(takeDisposable(Buffer.allocUnsafeSlow(1000)), undefined); // never marked
  const pooled = Buffer.allocUnsafe(10); // a view into Node's shared pool: marking it would give away the pool
  disposable(pooled);
  assert.equal(takeDisposable(pooled), undefined);
  const shared = takeSlab(64);
  disposable(shared);
  assert.equal(takeDisposable(shared), undefined);
});
