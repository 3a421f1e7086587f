import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSshd, type TestSshd } from '../../../test/helpers/sshd.js';
import { AppError } from '../errors.js';
import type { SftpStore } from './sftp-store.js';
import { Crc32c } from '../checksum.js';

let sshd: TestSshd;
const stores: SftpStore[] = [];
before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await sshd.remove();
});

function store(...args: Parameters<TestSshd['store']>): SftpStore {
  const made = sshd.store(...args);
  stores.push(made);
  return made;
}

async function* pieces(data: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += 300_000) yield data.subarray(offset, offset + 300_000);
}

async function read(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function unavailable(detail: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'REPOSITORY_UNAVAILABLE');
    assert.match(error.message, detail);
    return true;
  };
}

test('over real OpenSSH with key pairs: writes atomically, lists, reads back, deletes', async () => {
  const repository = store();
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const stored = await repository.put('backups/one/base.tar.sealed', pieces(data));
  assert.equal(stored.crc32c, new Crc32c().update(data).hex());
  await repository.put('wal/000000010000000000000001.sealed', pieces(Buffer.from('segment')));
  assert.deepEqual(
    (await repository.list('')).map((o) => [o.key, o.bytes]),
    [
      ['backups/one/base.tar.sealed', data.length],
      ['wal/000000010000000000000001.sealed', 7],
    ],
  );
  assert.ok((await read(repository.get('backups/one/base.tar.sealed'))).equals(data));
  await repository.delete('backups/one/base.tar.sealed');
  await repository.delete('backups/one/base.tar.sealed'); // deleting twice is fine
  assert.deepEqual(
    (await repository.list('backups/')).map((o) => o.key),
    [],
  );
  await assert.rejects(
    read(repository.get('backups/one/base.tar.sealed')),
    (error: unknown) => error instanceof AppError && error.code === 'BACKUP_NOT_FOUND',
  );
});

test('removes the temporary files of writes that died once they are old enough, and nothing else', async () => {
  const root = path.join(sshd.dir, 'unfinished');
  const repository = store(root);
  await repository.put('wal/000000010000000000000001.sealed', pieces(Buffer.from('segment')));
  const dead = path.join(root, 'backups', 'one', 'base.tar.sealed.part-0badf00d');
  const live = path.join(root, 'wal', '000000010000000000000002.sealed.part-0000beef');
  await mkdir(path.dirname(dead), { recursive: true });
  await writeFile(dead, 'half');
  await writeFile(live, 'half');
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
  await utimes(dead, twoDaysAgo, twoDaysAgo);
  assert.equal(await repository.removeUnfinished(new Date(Date.now() - 86_400_000)), 1);
  assert.deepEqual((await readdir(root, { recursive: true })).sort(), [
    'backups',
    'backups/one',
    'wal',
    'wal/000000010000000000000001.sealed',
    'wal/000000010000000000000002.sealed.part-0000beef',
  ]);
});

test('refuses a server whose host key is not the pinned one', async () => {
  const impostor = store(undefined, { hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
  await assert.rejects(impostor.list(''), unavailable(/host key does not match/));
});

test('refuses to log in with a key the server does not know', async () => {
  const stranger = store(undefined, { privateKeyFile: `${sshd.dir}/host_ed25519` });
  await assert.rejects(stranger.list(''), unavailable(/our key was refused/));
});

test('an unreachable server is reported, and the store works again when it returns', async () => {
  const repository = store();
  await repository.put('probe', pieces(Buffer.from('1')));
  await sshd.stop();
  await assert.rejects(
    repository.put('probe-2', pieces(Buffer.from('2'))),
    unavailable(/Failed writing probe-2 in sftp:\/\//),
  );
  await sshd.start();
  await repository.put('probe-3', pieces(Buffer.from('3')));
  assert.ok((await repository.list('')).some((o) => o.key === 'probe-3'));
});
