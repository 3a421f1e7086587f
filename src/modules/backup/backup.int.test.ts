import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withClient } from '../../platform/db/connect.js';
import { AppError } from '../../platform/errors.js';
import { manualClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startFakeS3 } from '../../../test/helpers/s3.js';
import { startSshd } from '../../../test/helpers/sshd.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { BackupService, type Repository } from './backup.service.js';

let cluster: ScratchCluster;
let clockAt = Date.parse('2026-11-24T02:00:00Z');

before(async () => {
  cluster = await startScratchCluster('backup');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text)');
  await cluster.sql("INSERT INTO orders SELECT g, 'before the backup ' || g FROM generate_series(1, 5000) g");
});
after(async () => {
  await cluster.stop();
});

function repositories(...names: string[]): Repository[] {
  return names.map((name) => ({ name, store: new FsStore(path.join(cluster.dir, 'repositories', name)) }));
}

/** A service with its own clock, one second later each time, so backup ids differ. */
function service(repos: Repository[], keyFile = path.join(cluster.dir, 'backup.key')): BackupService {
  clockAt += 60_000;
  const clock = manualClock(new Date(clockAt));
  return new BackupService({ repositories: repos, source: cluster.target(), keyFile, clock, log: silentLogger() });
}

function failsWith(code: string, detail?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    if (detail) assert.match(error.message, detail);
    return true;
  };
}

async function countRows(dataDir: string): Promise<{ orders: number; after: number }> {
  const restored = await cluster.startOn(dataDir);
  try {
    return await withClient(restored.target(), async (client) => {
      const { rows } = await client.query<{ orders: number; after: number }>("SELECT count(*)::int AS orders, count(*) FILTER (WHERE note LIKE 'after%')::int AS after FROM orders");
      return rows[0]!;
    });
  } finally {
    await restored.stop();
  }
}

describe('base backups', () => {
  test('a backup restored as taken has what was committed before it and not after, and verifies against the manifest', async () => {
    const repos = repositories('first', 'second');
    const progress: number[] = [];
    const result = await service(repos).take((p) => progress.push(p.doneBytes));
    await cluster.sql("INSERT INTO orders SELECT g, 'after the backup' FROM generate_series(5001, 5100) g");

    assert.deepEqual(result.stored, ['first', 'second']);
    assert.deepEqual(result.failed, []);
    assert.ok(progress.length > 0 && progress.at(-1)! === result.record.sourceBytes, 'progress reaches the total');
    const stored = result.record.objects.reduce((sum, object) => sum + object.bytes, 0);
    assert.ok(stored < result.record.sourceBytes / 2, `stored ${stored} of ${result.record.sourceBytes} bytes: compression did little`);

    const listed = await service(repos).list();
    assert.deepEqual(listed.map((listing) => [listing.record.id, listing.repositories]), [[result.record.id, ['first', 'second']]]);
    const verified = await service(repos).verify();
    assert.deepEqual(verified.map((v) => [v.repository, v.ok, v.problems]), [['first', true, []], ['second', true, []]]);
    assert.ok(verified[0]!.files > 900);

    const target = path.join(cluster.dir, 'restored-1');
    const restored = await service(repos).restore({ target, owner: cluster.runAs, recovery: 'none' });
    assert.equal(restored.repository, 'first');
    assert.deepEqual(await countRows(target), { orders: 5000, after: 0 });
  });

  test('nothing readable is stored: the repository holds only ciphertext', async () => {
    const repos = repositories('plain-check');
    await cluster.sql("INSERT INTO orders VALUES (900001, 'a very recognisable needle 7f3a9c')");
    const result = await service(repos).take();
    const base = await readFile(path.join(cluster.dir, 'repositories', 'plain-check', result.record.objects[0]!.key));
    assert.equal(base.includes(Buffer.from('recognisable needle 7f3a9c')), false);
    assert.equal(base.includes(Buffer.from('PG_VERSION')), false);
  });

  test('a damaged copy is detected by verify, and restore falls back to another repository', async () => {
    const repos = repositories('damaged', 'intact');
    const result = await service(repos).take();
    const base = result.record.objects.find((object) => object.name === 'base.tar')!;
    const file = path.join(cluster.dir, 'repositories', 'damaged', base.key);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);

    const verified = await service(repos).verify(result.record.id);
    assert.equal(verified.find((v) => v.repository === 'damaged')!.ok, false);
    assert.match(verified.find((v) => v.repository === 'damaged')!.problems[0]!, /fails authentication|checksum/);
    assert.equal(verified.find((v) => v.repository === 'intact')!.ok, true);

    const target = path.join(cluster.dir, 'restored-2');
    const restored = await service(repos).restore({ id: result.record.id, target, owner: cluster.runAs, recovery: 'none' });
    assert.equal(restored.repository, 'intact');
    assert.ok((await countRows(target)).orders >= 5000);
  });

  test('a repository that cannot be written does not stop the others, and is reported', async () => {
    const blocked = path.join(cluster.dir, 'repositories', 'blocked');
    await mkdir(path.dirname(blocked), { recursive: true });
    await writeFile(blocked, 'a file where the repository directory should be');
    const repos = [...repositories('working'), { name: 'blocked', store: new FsStore(blocked) }];
    const result = await service(repos).take();
    assert.deepEqual(result.stored, ['working']);
    assert.equal(result.failed[0]!.repository, 'blocked');
    assert.equal((await service(repos).list()).at(-1)!.repositories.join(), 'working');
  });

  test("a repository holding another cluster's backups is left alone, and says so; one alone fails the backup", async () => {
    const theirs = path.join(cluster.dir, 'repositories', 'theirs');
    await mkdir(theirs, { recursive: true });
    await writeFile(path.join(theirs, 'repository.json'), JSON.stringify({ systemIdentifier: '7000000000000000002' }));
    const repos = [...repositories('mine'), { name: 'theirs', store: new FsStore(theirs) }];
    const result = await service(repos).take();
    assert.deepEqual(result.stored, ['mine']);
    assert.equal(result.failed[0]!.repository, 'theirs');
    assert.match(result.failed[0]!.error, /another PostgreSQL cluster \(system identifier 7000000000000000002\)/);
    assert.deepEqual(await readdir(theirs), ['repository.json'], 'nothing written there');
    await assert.rejects(service([{ name: 'theirs', store: new FsStore(theirs) }]).take(), failsWith('BACKUP_FAILED', /theirs: .*another PostgreSQL cluster/));
  });

  test('a backup stopped half-way leaves no record and no temporary objects behind', async () => {
    const repos = repositories('interrupted');
    const controller = new AbortController();
    await assert.rejects(
      service(repos).take((p) => {
        if (p.doneBytes > 1024 * 1024) controller.abort(new Error('operator pressed Ctrl-C'));
      }, controller.signal),
      /operator pressed Ctrl-C/,
    );
    const left = await readdir(path.join(cluster.dir, 'repositories', 'interrupted'), { recursive: true });
    assert.deepEqual(left.filter((name) => /backup\.json$|\.part-/.test(String(name))), []);
    assert.deepEqual(await service(repos).list(), []);
  });

  test('with no repository able to store it, the backup fails and says why', async () => {
    const blocked = path.join(cluster.dir, 'repositories', 'only-blocked');
    await writeFile(blocked, 'not a directory');
    await assert.rejects(service([{ name: 'only', store: new FsStore(blocked) }]).take(), failsWith('BACKUP_FAILED', /only/));
  });
});

describe('repositories at other providers', () => {
  test('a backup goes to a directory, an S3 bucket and an SFTP server at once, and restores from whichever still has it', async () => {
    const s3 = await startFakeS3();
    const sshd = await startSshd();
    const sftp = sshd.store();
    try {
      const local = repositories('local-disk')[0]!;
      const repos = [local, { name: 'bucket', store: s3.store('prod') }, { name: 'offsite', store: sftp }];
      const result = await service(repos).take();
      assert.deepEqual(result.stored, ['local-disk', 'bucket', 'offsite']);
      const verified = await service(repos).verify(result.record.id);
      assert.deepEqual(verified.map((v) => [v.repository, v.ok]), [['local-disk', true], ['bucket', true], ['offsite', true]]);

      await rm(path.join(cluster.dir, 'repositories', 'local-disk', 'backups', result.record.id, 'base.tar.sealed'));
      const fromS3 = path.join(cluster.dir, 'restored-from-s3');
      assert.equal((await service(repos).restore({ id: result.record.id, target: fromS3, owner: cluster.runAs, recovery: 'none' })).repository, 'bucket');
      assert.ok((await countRows(fromS3)).orders >= 5000);

      await s3.store('prod').delete(`backups/${result.record.id}/base.tar.sealed`);
      const fromSftp = path.join(cluster.dir, 'restored-from-sftp');
      assert.equal((await service(repos).restore({ id: result.record.id, target: fromSftp, owner: cluster.runAs, recovery: 'none' })).repository, 'offsite');
      assert.ok((await countRows(fromSftp)).orders >= 5000);
    } finally {
      await sftp.close();
      await sshd.remove();
      await s3.stop();
    }
  });
});

describe('restoring refuses what would lose data or cannot work', () => {
  test('a non-empty target is refused and left untouched', async () => {
    const repos = repositories('first', 'second');
    const target = path.join(cluster.dir, 'occupied');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'precious.txt'), 'keep me');
    await assert.rejects(service(repos).restore({ target, recovery: 'none' }), failsWith('RESTORE_TARGET_NOT_EMPTY', /not empty/));
    assert.deepEqual(await readdir(target), ['precious.txt']);
  });

  test('the wrong key is refused before anything is written, naming both keys', async () => {
    const repos = repositories('first', 'second');
    const otherKey = path.join(cluster.dir, 'other.key');
    await writeFile(otherKey, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    const target = path.join(cluster.dir, 'wrong-key');
    await assert.rejects(service(repos, otherKey).restore({ target, recovery: 'none' }), failsWith('BACKUP_KEY_MISMATCH', /encrypted with key [0-9a-f]{16}.*key given is [0-9a-f]{16}/));
    assert.deepEqual(await readdir(target), []);
  });

  test('a new key is refused where the repositories hold backups made with another', async () => {
    const repos = repositories('first', 'second');
    await assert.rejects(service(repos, path.join(cluster.dir, 'fresh.key')).take(), failsWith('BACKUP_KEY_MISMATCH', /hold backups made with key [0-9a-f]{16}.*Put the original key file back/));
  });

  test('a missing key file says what to do', async () => {
    const repos = repositories('first');
    await assert.rejects(service(repos, path.join(cluster.dir, 'no-such.key')).restore({ target: path.join(cluster.dir, 'no-key'), recovery: 'none' }), failsWith('BACKUP_KEY_MISSING', /does not exist.*--key-file/));
  });

  test('something that is not a backup id is refused as such', async () => {
    await assert.rejects(service(repositories('first')).verify('latest-one'), failsWith('VALIDATION_FAILED', /"latest-one" is not a backup id: a backup id looks like 20261124T020000Z/));
  });

  test('an unknown backup id says how to find the backups', async () => {
    await assert.rejects(service(repositories('first')).restore({ id: '20200101T000000Z', target: path.join(cluster.dir, 'unknown'), recovery: 'none' }), failsWith('BACKUP_NOT_FOUND', /backup list/));
  });
});
