import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { hostOf } from '../../../test/helpers/http.js';
import { workFixture, type WorkFixture } from '../../../test/helpers/work.js';

let fixture: WorkFixture<'ada' | 'bob' | 'vi'>;
type Who = 'ada' | 'bob' | 'vi';
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const megabyte = 1024 * 1024;
const call: WorkFixture<Who>['call'] = (...args) => fixture.call(...args);

before(async () => {
  fixture = await workFixture(
    { ada: 'owner', bob: 'member', vi: 'viewer' },
    { config: { attachmentMaxMb: 1, workspaceAttachmentsMb: 2 } },
  );
  const { ok, people } = fixture;
  await ok(call('ada', 'POST', '/projects', { key: 'OPS', name: 'Operations' }), 201);
  await ok(call('ada', 'PUT', `/projects/OPS/members/${people.bob.id}`, { role: 'member' }));
  await ok(call('ada', 'PUT', `/projects/OPS/members/${people.vi.id}`, { role: 'viewer' }));
  await ok(call('ada', 'POST', '/projects/OPS/tasks', { title: 'Runbook' }), 201);
});
after(() => fixture.close());

const upload = (who: Who, name: string, content: Buffer, headers: Record<string, string> = {}) =>
  call(who, 'POST', `/tasks/OPS-1/attachments?name=${encodeURIComponent(name)}`, content, {
    'content-type': 'application/octet-stream',
    ...headers,
  });

describe('attachments', () => {
  let image: { id: string };

  test('an image is kept with its type read from its bytes, listed, recorded and shown inline, never sniffed', async () => {
    const made = await upload('bob', 'pixel.png', png, { 'content-type': 'text/html' });
    assert.equal(made.statusCode, 201, made.body);
    image = made.json();
    assert.equal(made.json().mediaType, 'image/png');
    assert.equal(made.json().inline, true);
    assert.equal(made.json().size, png.length);
    assert.equal(made.json().uploadedBy.name, 'BOB');

    const listed = await call('vi', 'GET', '/tasks/OPS-1/attachments');
    assert.deepEqual(
      listed.json().map((file: { name: string }) => file.name),
      ['pixel.png'],
    );
    const served = await call('vi', 'GET', `/tasks/OPS-1/attachments/${image.id}`);
    assert.equal(served.statusCode, 200);
    assert.deepEqual(served.rawPayload, png);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.match(String(served.headers['content-disposition']), /^inline; filename="pixel\.png"/);
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.match(String(served.headers['content-security-policy']), /sandbox/);
    const saved = await call('vi', 'GET', `/tasks/OPS-1/attachments/${image.id}?download=1`);
    assert.match(String(saved.headers['content-disposition']), /^attachment;/);

    const history = (await call('vi', 'GET', '/tasks/OPS-1/activity')).json();
    assert.ok(
      history.some((row: { field: string; after: unknown }) => row.field === 'attachment' && row.after === 'pixel.png'),
    );
  });

  test('HTML is never served as a page: it downloads as bytes, and HTML posing as an image is refused', async () => {
    const page = await upload('bob', 'page.html', Buffer.from('<script>parent.pwned = 1</script>'));
    assert.equal(page.statusCode, 201, page.body);
    assert.equal(page.json().mediaType, 'text/plain');
    assert.equal(page.json().inline, false);
    const served = await call('bob', 'GET', `/tasks/OPS-1/attachments/${page.json().id}`);
    assert.equal(served.headers['content-type'], 'application/octet-stream');
    assert.match(String(served.headers['content-disposition']), /^attachment; filename="page\.html"/);

    const posing = await upload('bob', 'cat.png', Buffer.from('<html><script>alert(1)</script></html>'));
    assert.equal(posing.statusCode, 415);
    assert.match(posing.json().detail, /named as a \.png file, but its content is text/);
  });

  test('a viewer may not attach; an Idempotency-Key retried keeps one file', async () => {
    const viewer = await upload('vi', 'notes.txt', Buffer.from('hi'));
    assert.equal(viewer.statusCode, 403);
    const key = { 'idempotency-key': 'upload-1' };
    const first = await upload('bob', 'notes.txt', Buffer.from('hello'), key);
    const again = await upload('bob', 'notes.txt', Buffer.from('hello'), key);
    assert.equal(first.statusCode, 201);
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json().id, first.json().id);
    const other = await upload('bob', 'notes.txt', Buffer.from('other bytes'), key);
    assert.equal(other.statusCode, 422, 'the same key with another file is a mistake, not a retry');
    const names = (await call('bob', 'GET', '/tasks/OPS-1/attachments')).json().map((f: { name: string }) => f.name);
    assert.equal(names.filter((name: string) => name === 'notes.txt').length, 1);
  });

  test('a file over the limit is refused from its Content-Length, before its body is sent', async () => {
    await fixture.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fixture.app.server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/api/v1/tasks/OPS-1/attachments?name=big.bin',
        headers: {
          host: hostOf(fixture.workspace.slug),
          cookie: fixture.people.bob.cookie,
          'x-csrf-token': fixture.people.bob.csrf,
          'content-type': 'application/octet-stream',
          'content-length': String(5 * megabyte),
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      request.flushHeaders(); // the headers alone: not one byte of the 5 MB is ever sent
    });
    assert.equal(answer.status, 413);
    assert.match(JSON.parse(answer.body).detail, /The file is 5\.0 MB; a file may be at most 1\.0 MB/);
  });

  test("the workspace's room is counted across files; deleting one frees it; only its uploader or a lead deletes", async () => {
    const big = Buffer.alloc(900 * 1024, 7);
    const first = await upload('bob', 'one.bin', big);
    assert.equal(first.statusCode, 201, first.body);
    const second = await upload('bob', 'two.bin', big);
    assert.equal(second.statusCode, 201, second.body);
    const third = await upload('bob', 'three.bin', big);
    assert.equal(third.statusCode, 413);
    assert.match(third.json().detail, /attachments use 1\.8 MB of 2\.0 MB/);

    const path = `/tasks/OPS-1/attachments/${first.json().id}`;
    assert.equal((await call('vi', 'DELETE', path)).statusCode, 403);
    assert.equal((await call('ada', 'DELETE', path)).statusCode, 204, 'a project lead removes any file');
    assert.equal((await call('ada', 'DELETE', path)).statusCode, 404);
    assert.equal((await upload('bob', 'three.bin', big)).statusCode, 201);
  });

  test('without a session an upload is a 401, and a file of an unknown task or id a 404', async () => {
    const anonymous = await call(null, 'POST', '/tasks/OPS-1/attachments?name=x.txt', Buffer.from('x'));
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await call('bob', 'GET', '/tasks/OPS-99/attachments')).statusCode, 404);
    const unknown = await call('bob', 'GET', '/tasks/OPS-1/attachments/00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.statusCode, 404);
  });
});
