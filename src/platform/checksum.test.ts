import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Crc32c } from './checksum.js';

test('CRC-32C matches the standard check value, fed whole or in pieces', () => {
  // The check value of CRC-32C (iSCSI, RFC 3720) over the ASCII digits 1-9.
  assert.equal(new Crc32c().update(Buffer.from('123456789')).hex(), 'e3069283');
  assert.equal(new Crc32c().update(Buffer.from('1234')).update(Buffer.from('56789')).hex(), 'e3069283');
  assert.equal(new Crc32c().hex(), '00000000');
});

test('writes the manifest form in little-endian byte order, as PostgreSQL does', () => {
  assert.equal(new Crc32c().update(Buffer.from('123456789')).manifestHex(), '839206e3');
});
