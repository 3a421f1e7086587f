import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { packReusable, ReusableIndex, reusableTransferList, type ReusableFile } from './reusable-files.js';

const file = (backup: string, overrides: Partial<ReusableFile> = {}): ReusableFile => ({
  size: 8192,
  lastModified: '2026-12-07 02:00:01 GMT',
  modifiedSeconds: Date.parse('2026-12-07T02:00:01Z') / 1000,
  modifiedBeforeMs: Date.parse('2026-12-07T03:00:00Z'),
  checksum: '0a1b2c3d',
  backup,
  ...overrides,
});
const mtimeMs = Date.parse('2026-12-07T02:00:01.250Z');

describe('the files an earlier backup holds, packed for the reading thread', () => {
  test('cross a thread boundary and give back each file, with its own backup and checksum', () => {
    const packed = packReusable([
      ['base/5/1259', file('20261201T020000Z')],
      ['base/5/2608', file('20261207T020000Z', { size: 16384, checksum: 'ffffffff' })],
      ['global/pg_control', file('20261201T020000Z', { lastModified: '2026-12-06 23:59:59 GMT' })],
    ]);
    assert.equal(packed.count, 3);
    assert.deepEqual(packed.backups, ['20261201T020000Z', '20261207T020000Z']);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(packed, reusableTransferList(packed));
    assert.equal(packed.sizes.length, 0, 'the columns were moved, not copied');
    const index = new ReusableIndex(receiveMessageOnPort(port2)!.message);
    port1.close();
    assert.equal(index.size, 3);
    assert.deepEqual(
      index.unchanged('base/5/2608', 16384, mtimeMs),
      file('20261207T020000Z', { size: 16384, checksum: 'ffffffff' }),
    );
    assert.equal(index.unchanged('global/pg_control', 8192, mtimeMs)?.lastModified, '2026-12-06 23:59:59 GMT');
    assert.equal(index.unchanged('base/5/1259', 8192, mtimeMs)?.backup, '20261201T020000Z');
  });

  test('give nothing for a file that changed in size or time, was modified as its backup started, or is unknown', () => {
    const index = new ReusableIndex(
      packReusable([
        ['a', file('b1')],
        ['late', file('b1', { modifiedBeforeMs: Date.parse('2026-12-07T02:00:01Z') })],
      ]),
    );
    assert.ok(index.unchanged('a', 8192, mtimeMs));
    assert.equal(index.unchanged('a', 8193, mtimeMs), undefined);
    assert.equal(index.unchanged('a', 8192, mtimeMs + 1000), undefined);
    assert.equal(index.unchanged('late', 8192, mtimeMs), undefined);
    assert.equal(index.unchanged('b', 8192, mtimeMs), undefined);
  });

  test('leave out a file the columns cannot hold, so it is copied again', () => {
    const packed = packReusable([
      ['new\nline', file('b1')],
      ['odd-checksum', file('b1', { checksum: 'xyz' })],
      ['kept', file('b1')],
    ]);
    const index = new ReusableIndex(packed);
    assert.equal(index.size, 1);
    assert.ok(index.unchanged('kept', 8192, mtimeMs));
    assert.equal(new ReusableIndex(packReusable([])).size, 0);
  });
});
