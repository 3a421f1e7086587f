import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainOfPieces, partialName } from './backup.wal-pieces.js';

const segment = '000000010000000000000003';
const piece = (from: number, to: number): string => partialName(segment, from, to);

test('pieces of a segment chain from byte 0, in order, whatever order they are listed in', () => {
  const chain = chainOfPieces([piece(0x2000, 0x5000), piece(0, 0x2000), piece(0x5000, 0x5100)]);
  assert.deepEqual(
    chain.pieces.map((p) => p.file),
    [piece(0, 0x2000), piece(0x2000, 0x5000), piece(0x5000, 0x5100)],
  );
  assert.equal(chain.end, 0x5100);
});

test('overlapping pieces (a reconnect stores from byte 0 again): the furthest-reaching one is taken', () => {
  const chain = chainOfPieces([piece(0, 0x2000), piece(0, 0x3000), piece(0x2000, 0x2800), piece(0x3000, 0x4000)]);
  assert.deepEqual(
    chain.pieces.map((p) => p.file),
    [piece(0, 0x3000), piece(0x3000, 0x4000)],
  );
  assert.equal(chain.end, 0x4000);
});

test('a missing piece ends the chain there; no piece from 0 means nothing usable', () => {
  assert.equal(chainOfPieces([piece(0, 0x1000), piece(0x2000, 0x3000)]).end, 0x1000);
  assert.equal(chainOfPieces([piece(0x1000, 0x2000)]).end, 0);
  assert.equal(chainOfPieces(['000000010000000000000003', 'garbage']).end, 0);
});
