import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertFits, cleanFileName, dispositionOf, mediaTypeOf } from './work.attachments.js';

const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('attachment names', () => {
  test('keep the last path segment, without control, bidi-override or leading dots', () => {
    assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
    assert.equal(cleanFileName('C:\\Users\\me\\report.pdf'), 'report.pdf');
    assert.equal(cleanFileName('in\u202Egnp.exe'), 'ingnp.exe');
    assert.equal(cleanFileName('a\r\nb\u0000.txt'), 'ab.txt');
    assert.equal(cleanFileName('..hidden'), 'hidden');
    assert.equal(Buffer.byteLength(cleanFileName('é'.repeat(300))), 254);
  });

  test('refuse a name that is empty once cleaned', () => {
    assert.throws(() => cleanFileName('../..'), /Give the file a name/);
    assert.throws(() => cleanFileName('\u0000\u0001'), /Give the file a name/);
  });

  test('are offered for download in ASCII and in UTF-8, quotes and all made harmless', () => {
    assert.equal(
      dispositionOf('attachment', 'résumé "final".pdf'),
      `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
    );
  });
});

describe('attachment types', () => {
  test('are read from the content, whatever the name says of a format it does not claim', async () => {
    assert.equal(await mediaTypeOf('pixel.png', png), 'image/png');
    assert.equal(await mediaTypeOf('pixel', png), 'image/png');
    assert.equal(await mediaTypeOf('notes.txt', Buffer.from('hello')), 'text/plain');
    assert.equal(await mediaTypeOf('page.html', Buffer.from('<script>alert(1)</script>')), 'text/plain');
    assert.equal(await mediaTypeOf('data.csv', Buffer.from('a,b\n1,2\n')), 'text/csv');
    assert.equal(await mediaTypeOf('blob.bin', Buffer.from([0, 1, 2, 255, 254])), 'application/octet-stream');
  });

  test('refuse a name that claims a format its content is not', async () => {
    await assert.rejects(mediaTypeOf('photo.png', Buffer.from('<html><script>alert(1)</script>')), (error: Error) => {
      assert.match(error.message, /"photo\.png" is named as a \.png file, but its content is text/);
      return true;
    });
    await assert.rejects(mediaTypeOf('report.pdf', png), /content is a png file \(image\/png\)/);
    // An image under another image's extension is still an image: kept, as what it is.
    assert.equal(await mediaTypeOf('pixel.jpg', png), 'image/png');
  });
});

describe('attachment limits', () => {
  const limits = { fileBytes: 1024 * 1024, workspaceBytes: 3 * 1024 * 1024 };
  test('refuse a file over the per-file limit, and one the workspace has no room for, saying how much', () => {
    assert.doesNotThrow(() => assertFits(1024 * 1024, 0, limits));
    assert.throws(() => assertFits(1024 * 1024 + 1, 0, limits), /The file is 1\.0 MB; a file may be at most 1\.0 MB/);
    assert.throws(
      () => assertFits(600 * 1024, 2.5 * 1024 * 1024, limits),
      /use 2\.5 MB of 3\.0 MB, and this file needs 0\.6 MB/,
    );
  });
});
