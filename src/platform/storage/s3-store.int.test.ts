import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startFakeS3 } from '../../../test/helpers/s3.js';
import { AppError } from '../errors.js';
import { S3Store } from './s3-store.js';
import { Crc32c } from '../checksum.js';

let s3: Awaited<ReturnType<typeof startFakeS3>>;
before(async () => {
  s3 = await startFakeS3();
});
after(async () => {
  await s3.stop();
});

async function* pieces(data: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += 1_000_000) yield data.subarray(offset, offset + 1_000_000);
}

async function read(store: S3Store, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.get(key)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('writes, lists, reads back and deletes objects, including multipart ones', async () => {
  const store = s3.store('platform-a');
  const big = randomBytes(20 * 1024 * 1024);
  const stored = await store.put('backups/x/base.tar.sealed', pieces(big));
  assert.equal(stored.bytes, big.length);
  assert.equal(stored.crc32c, new Crc32c().update(big).hex());
  await store.put('backups/x/backup.json', pieces(Buffer.from('{}')));
  await store.put('wal/000000010000000000000001.sealed', pieces(Buffer.from('wal')));
  assert.deepEqual(
    (await store.list('backups/')).map((o) => [o.key, o.bytes]),
    [
      ['backups/x/backup.json', 2],
      ['backups/x/base.tar.sealed', big.length],
    ],
  );
  assert.ok((await read(store, 'backups/x/base.tar.sealed')).equals(big));
  await store.delete('backups/x/base.tar.sealed');
  assert.deepEqual(
    (await store.list('backups/')).map((o) => o.key),
    ['backups/x/backup.json'],
  );
});

test('prefixes keep two platforms in one bucket apart', async () => {
  await s3.store('platform-b').put('backups/y/backup.json', pieces(Buffer.from('b')));
  assert.deepEqual(
    (await s3.store('platform-c').list('backups/')).map((o) => o.key),
    [],
  );
});

test('a missing object is BACKUP_NOT_FOUND; an unreachable service is REPOSITORY_UNAVAILABLE with where', async () => {
  await assert.rejects(
    read(s3.store(), 'nothing/here'),
    (error: unknown) => error instanceof AppError && error.code === 'BACKUP_NOT_FOUND',
  );
  const nowhere = new S3Store({
    bucket: 'backups',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    forcePathStyle: true,
    accessKeyId: 'x',
    secretAccessKey: 'y',
  });
  await assert.rejects(nowhere.list(''), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'REPOSITORY_UNAVAILABLE');
    assert.match(error.message, /s3:\/\/backups\/ at http:\/\/127\.0\.0\.1:1/);
    assert.doesNotMatch(error.message, /\by\b.*secret/i);
    return true;
  });
});

test('a service that accepts connections but never answers fails as unavailable once the idle timeout passes', async () => {
  // Accepts, reads, never replies: a hung repository, not a down one.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as AddressInfo).port;
    const hung = new S3Store({
      bucket: 'backups',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      accessKeyId: 'x',
      secretAccessKey: 'y',
      timeouts: { connectMs: 1000, idleMs: 300 },
    });
    const started = Date.now();
    await assert.rejects(
      hung.put('wal/000000010000000000000001.sealed', pieces(Buffer.from('wal'))),
      (error: unknown) => error instanceof AppError && error.code === 'REPOSITORY_UNAVAILABLE',
    );
    // Three attempts of 300 ms each and the SDK's backoff between them: seconds, not forever.
    assert.ok(Date.now() - started < 15_000, `gave up after ${Date.now() - started} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
