import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyIntoSlab, giveSlab, isSlab, takeSlab } from './slabs.js';

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
