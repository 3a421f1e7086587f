import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import { BackupService, type Repository } from '../../../test/helpers/backup-service.js';

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

/**
 * A service with its own clock, a minute later each time, so backup ids differ. It reads the
 * data directory itself, as for the embedded cluster, unless `streamed` (BASE_BACKUP, as for
 * a cluster on another machine).
 */
function service(repos: Repository[], keyFile = path.join(cluster.dir, 'backup.key'), streamed = false): BackupService {
  clockAt += 60_000;
  const clock = manualClock(new Date(clockAt));
  return new BackupService({
    repositories: repos,
    source: cluster.target(),
    sourceDataDir: streamed ? undefined : cluster.dataDir,
    keyFile,
    clock,
    log: silentLogger(),
  });
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
      const { rows } = await client.query<{ orders: number; after: number }>(
        "SELECT count(*)::int AS orders, count(*) FILTER (WHERE note LIKE 'after%')::int AS after FROM orders",
      );
      return rows[0]!;
    });
  } finally {
    await restored.stop();
  }
}

describe('base backups', () => {
  for (const streamed of [false, true]) {
    test(`a backup ${streamed ? 'streamed by BASE_BACKUP' : 'read from the data directory'} restored as taken has what was committed before it and not after, and verifies against the manifest`, async () => {
      const repos = repositories(`first-${streamed}`, `second-${streamed}`);
      const progress: number[] = [];
      const result = await service(repos, undefined, streamed).take((p) => progress.push(p.doneBytes));
      await cluster.sql(
        `INSERT INTO orders SELECT g, 'after the backup' FROM generate_series(${streamed ? 6001 : 5001}, ${streamed ? 6100 : 5100}) g`,
      );

      assert.deepEqual(result.stored, [`first-${streamed}`, `second-${streamed}`]);
      assert.deepEqual(result.failed, []);
      assert.ok(progress.length > 0 && progress.at(-1)! === result.record.sourceBytes, 'progress reaches the total');
      const stored = result.record.objects.reduce((sum, object) => sum + object.bytes, 0);
      assert.ok(
        stored < result.record.sourceBytes / 2,
        `stored ${stored} of ${result.record.sourceBytes} bytes: compression did little`,
      );

      const listed = await service(repos).list();
      assert.deepEqual(
        listed.map((listing) => [listing.record.id, listing.repositories]),
        [[result.record.id, [`first-${streamed}`, `second-${streamed}`]]],
      );
      const verified = await service(repos).verify();
      assert.deepEqual(
        verified.map((v) => [v.repository, v.ok, v.problems]),
        [
          [`first-${streamed}`, true, []],
          [`second-${streamed}`, true, []],
        ],
      );
      assert.ok(verified[0]!.files > 900);

      const target = path.join(cluster.dir, `restored-1-${streamed}`);
      const restored = await service(repos).restore({ target, owner: cluster.runAs, recovery: 'none' });
      assert.equal(restored.repository, `first-${streamed}`);
      assert.deepEqual(await countRows(target), { orders: streamed ? 5100 : 5000, after: streamed ? 100 : 0 });
    });
  }

  test('a backup read from the data directory leaves out what BASE_BACKUP leaves out, and keeps only the init fork of an unlogged table', async () => {
    await cluster.sql(
      'CREATE UNLOGGED TABLE scratchpad (id int); INSERT INTO scratchpad SELECT generate_series(1, 1000)',
    );
    await cluster.sql('CHECKPOINT'); // the unlogged table's main fork is on disk now
    const { rows } = await withClient(cluster.target(), (client) =>
      client.query<{ file: string }>("SELECT pg_relation_filepath('scratchpad') AS file"),
    );
    const relation = rows[0]!.file;
    await writeFile(path.join(cluster.dataDir, 'pg_stat_tmp', 'stray.tmp'), 'left by a crash');
    await mkdir(path.join(cluster.dataDir, 'base', 'pgsql_tmp'), { recursive: true });
    await writeFile(path.join(cluster.dataDir, 'base', 'pgsql_tmp', 'pgsql_tmp999.0'), 'a sort spilled to disk');
    const repos = repositories('exclusions');
    await service(repos).take();

    const target = path.join(cluster.dir, 'restored-exclusions');
    await service(repos).restore({ target, owner: cluster.runAs, recovery: 'none' });
    const present = async (file: string): Promise<boolean> =>
      (await readdir(path.dirname(path.join(target, file)))).includes(path.basename(file));
    assert.equal(await present('PG_VERSION'), true);
    assert.equal(await present(`${relation}_init`), true, 'the init fork is kept');
    for (const file of [relation, 'postmaster.pid', 'postmaster.opts', 'pg_stat_tmp/stray.tmp', 'base/pgsql_tmp'])
      assert.equal(await present(file), false, `${file} is left out`);
    assert.deepEqual(await readdir(path.join(target, 'pg_replslot')), [], 'no replication slot travels with a backup');
    const restored = await cluster.startOn(target);
    try {
      const count = await withClient(restored.target(), (client) =>
        client.query<{ n: number }>('SELECT count(*)::int AS n FROM scratchpad'),
      );
      assert.equal(count.rows[0]!.n, 0, 'an unlogged table restores empty, as after a crash');
    } finally {
      await restored.stop();
    }
    await cluster.sql('DROP TABLE scratchpad');
    await rm(path.join(cluster.dataDir, 'pg_stat_tmp', 'stray.tmp'));
    await rm(path.join(cluster.dataDir, 'base', 'pgsql_tmp'), { recursive: true });
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
    const restored = await service(repos).restore({
      id: result.record.id,
      target,
      owner: cluster.runAs,
      recovery: 'none',
    });
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
    await assert.rejects(
      service([{ name: 'theirs', store: new FsStore(theirs) }]).take(),
      failsWith('BACKUP_FAILED', /theirs: .*another PostgreSQL cluster/),
    );
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
    assert.deepEqual(
      left.filter((name) => /backup\.json$|\.part-/.test(String(name))),
      [],
    );
    assert.deepEqual(await service(repos).list(), []);
  });

  test('with no repository able to store it, the backup fails and says why', async () => {
    const blocked = path.join(cluster.dir, 'repositories', 'only-blocked');
    await writeFile(blocked, 'not a directory');
    await assert.rejects(
      service([{ name: 'only', store: new FsStore(blocked) }]).take(),
      failsWith('BACKUP_FAILED', /only/),
    );
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
      assert.deepEqual(
        verified.map((v) => [v.repository, v.ok]),
        [
          ['local-disk', true],
          ['bucket', true],
          ['offsite', true],
        ],
      );

      await rm(path.join(cluster.dir, 'repositories', 'local-disk', 'backups', result.record.id, 'base.tar.sealed'));
      const fromS3 = path.join(cluster.dir, 'restored-from-s3');
      assert.equal(
        (await service(repos).restore({ id: result.record.id, target: fromS3, owner: cluster.runAs, recovery: 'none' }))
          .repository,
        'bucket',
      );
      assert.ok((await countRows(fromS3)).orders >= 5000);

      await s3.store('prod').delete(`backups/${result.record.id}/base.tar.sealed`);
      const fromSftp = path.join(cluster.dir, 'restored-from-sftp');
      assert.equal(
        (
          await service(repos).restore({
            id: result.record.id,
            target: fromSftp,
            owner: cluster.runAs,
            recovery: 'none',
          })
        ).repository,
        'offsite',
      );
      assert.ok((await countRows(fromSftp)).orders >= 5000);
    } finally {
      await sftp.close();
      await sshd.remove();
      await s3.stop();
    }
  });
});

describe('restoring refuses what would lose data or cannot work', () => {
  test("a backup copied in from another cluster's repository is refused on read, naming both clusters", async () => {
    const other = await startScratchCluster('other-cluster');
    try {
      const keyFile = path.join(cluster.dir, 'backup.key');
      const ours = repositories('ours-claimed');
      await service(ours).take(); // the repository is this cluster's
      const theirs = path.join(other.dir, 'repositories', 'theirs');
      clockAt += 60_000;
      const taken = await new BackupService({
        repositories: [{ name: 'theirs', store: new FsStore(theirs) }],
        source: other.target(),
        sourceDataDir: other.dataDir,
        keyFile, // the same key: only the cluster an object names tells them apart
        clock: manualClock(new Date(clockAt)),
        log: silentLogger(),
      }).take();
      const [row] = await cluster.sql<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
      await cp(path.join(theirs, 'backups'), path.join(cluster.dir, 'repositories', 'ours-claimed', 'backups'), {
        recursive: true,
      });
      const target = path.join(cluster.dir, 'copied-in');
      await assert.rejects(
        service(ours).restore({ id: taken.record.id, target, recovery: 'none' }),
        failsWith(
          'RESTORE_FAILED',
          new RegExp(
            `Backup ${taken.record.id} in ours-claimed belongs to the PostgreSQL cluster ${taken.record.systemIdentifier}, but the repository is cluster ${row!.id}'s`,
          ),
        ),
      );
      assert.deepEqual(await readdir(target).catch(() => []), [], 'nothing restored');
    } finally {
      await other.stop();
    }
  });

  test('a non-empty target is refused and left untouched', async () => {
    const repos = repositories('first-false', 'second-false');
    const target = path.join(cluster.dir, 'occupied');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'precious.txt'), 'keep me');
    await assert.rejects(
      service(repos).restore({ target, recovery: 'none' }),
      failsWith('RESTORE_TARGET_NOT_EMPTY', /not empty/),
    );
    assert.deepEqual(await readdir(target), ['precious.txt']);
  });

  test('the wrong key is refused before anything is written, naming both keys', async () => {
    const repos = repositories('first-false', 'second-false');
    const otherKey = path.join(cluster.dir, 'other.key');
    await writeFile(otherKey, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    const target = path.join(cluster.dir, 'wrong-key');
    await assert.rejects(
      service(repos, otherKey).restore({ target, recovery: 'none' }),
      failsWith('BACKUP_KEY_MISMATCH', /encrypted with key [0-9a-f]{16}.*key given is [0-9a-f]{16}/),
    );
    assert.deepEqual(await readdir(target), []);
  });

  test('a new key is refused where the repositories hold backups made with another', async () => {
    const repos = repositories('first-false', 'second-false');
    await assert.rejects(
      service(repos, path.join(cluster.dir, 'fresh.key')).take(),
      failsWith('BACKUP_KEY_MISMATCH', /hold backups made with key [0-9a-f]{16}.*Put the original key file back/),
    );
  });

  test('a missing key file says what to do', async () => {
    const repos = repositories('first-false');
    await assert.rejects(
      service(repos, path.join(cluster.dir, 'no-such.key')).restore({
        target: path.join(cluster.dir, 'no-key'),
        recovery: 'none',
      }),
      failsWith('BACKUP_KEY_MISSING', /does not exist.*--key-file/),
    );
  });

  test('something that is not a backup id is refused as such', async () => {
    await assert.rejects(
      service(repositories('first-false')).verify('latest-one'),
      failsWith('VALIDATION_FAILED', /"latest-one" is not a backup id: a backup id looks like 20261124T020000Z/),
    );
  });

  test('an unknown backup id says how to find the backups', async () => {
    await assert.rejects(
      service(repositories('first-false')).restore({
        id: '20200101T000000Z',
        target: path.join(cluster.dir, 'unknown'),
        recovery: 'none',
      }),
      failsWith('BACKUP_NOT_FOUND', /backup list/),
    );
  });
});
