import assert from 'node:assert/strict';
import { test } from 'node:test';
import { giveSlab, isSlab, takeSlab } from './slabs.js';

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
