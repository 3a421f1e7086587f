import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { MessageSplitter } from './copy-socket.js';

/** A protocol message: type byte, length (counting itself), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const archiveData = (data: Buffer): Buffer => message('d', Buffer.concat([Buffer.from('d'), data]));

test('takes archive data out of the stream and passes every other message on whole, however the stream is cut', () => {
  const first = randomBytes(70_000);
  const second = randomBytes(10);
  const stream = Buffer.concat([
    message('T', Buffer.from('row description')),
    message('H', Buffer.from([0, 0, 0])),
    message('d', Buffer.from('nbase.tar\0\0')), // a new archive: CopyData, but not archive data
    archiveData(first),
    message('d', Buffer.concat([Buffer.from('p'), Buffer.alloc(8)])), // progress
    archiveData(second),
    archiveData(Buffer.alloc(0)),
    message('d', Buffer.alloc(0)), // an empty CopyData
    message('C', Buffer.from('SELECT 1\0')),
    message('Z', Buffer.from('I')),
  ]);
  for (const cut of [1, 2, 5, 6, 7, 1000, 65_536, stream.length]) {
    const passed: Buffer[] = [];
    const data: Buffer[] = [];
    const order: string[] = [];
    const splitter = new MessageSplitter(
      (whole) => {
        passed.push(whole);
        // CopyData messages by their subtype byte ('-' when empty), others by type.
        order.push(
          whole[0] === 0x64
            ? `d${whole.length > 5 ? String.fromCharCode(whole[5]!) : '-'}`
            : String.fromCharCode(whole[0]!),
        );
      },
      (piece) => {
        data.push(Buffer.from(piece));
        if (order.at(-1) !== 'data') order.push('data');
      },
    );
    for (let offset = 0; offset < stream.length; offset += cut) splitter.feed(stream.subarray(offset, offset + cut));
    assert.ok(
      Buffer.concat(data).equals(Buffer.concat([first, second])),
      `archive data intact when cut every ${cut} bytes`,
    );
    assert.deepEqual(
      passed.map((whole) => `${String.fromCharCode(whole[0]!)}:${whole.length}`),
      ['T:20', 'H:8', 'd:16', 'd:14', 'd:5', 'C:14', 'Z:6'],
      `other messages whole and in order when cut every ${cut} bytes`,
    );
    assert.deepEqual(
      order,
      ['T', 'H', 'dn', 'data', 'dp', 'data', 'd-', 'C', 'Z'],
      `archive data between the right messages when cut every ${cut} bytes`,
    );
  }
});
