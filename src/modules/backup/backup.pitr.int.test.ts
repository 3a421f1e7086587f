import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../platform/clock/clock.js';
import { withClient } from '../../platform/db/connect.js';
import { AppError } from '../../platform/errors.js';
import { silentLogger } from '../../platform/log/log.js';
import { resolveBinaries } from '../../platform/postgres/binaries.js';
import { runRecovery } from '../../platform/postgres/recovery.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import {
  BackupService,
  type BackupServiceDeps,
  type Recover,
  type Repository,
} from '../../../test/helpers/backup-service.js';
import { WalPusher } from './backup.wal.js';

let cluster: ScratchCluster;
let repositories: Repository[];
let service: BackupService;
let serviceDeps: BackupServiceDeps;
let pusher: WalPusher;
let betweenAandB: Date;

before(async () => {
  cluster = await startScratchCluster('pitr', { archive: true });
  repositories = [{ name: 'pitr', store: new FsStore(path.join(cluster.dir, 'repository')) }];
  const keyFile = path.join(cluster.dir, 'backup.key');
  const binaries = await resolveBinaries(cluster.runAs);
  serviceDeps = {
    repositories,
    source: cluster.target(),
    sourceDataDir: cluster.dataDir,
    keyFile,
    clock: systemClock,
    log: silentLogger(),
    recover: (run: Parameters<Recover>[0]) =>
      runRecovery({ ...run, binaries, runAs: cluster.runAs, log: silentLogger() }),
  };
  service = new BackupService(serviceDeps);
  pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories,
    keyFile,
    clock: systemClock,
    log: silentLogger(),
  });

  await cluster.sql('CREATE TABLE events (name text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())');
  await service.take();
  await sleep(1100); // the backup's finish time must lie before the target moment
  await cluster.sql("INSERT INTO events (name) VALUES ('A')");
  const [{ now }] = (await cluster.sql<{ now: Date }>('SELECT clock_timestamp() AS now')) as [{ now: Date }];
  betweenAandB = now;
  await sleep(200);
  await cluster.sql("INSERT INTO events (name) VALUES ('B')");
  await service.mark('before-c');
  await cluster.sql("INSERT INTO events (name) VALUES ('C')");
  await archiveEverything();
});
after(async () => {
  await cluster.stop();
});

/** Closes the current segment and pushes everything spooled. */
async function archiveEverything(): Promise<void> {
  const [row] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file');
  for (let i = 0; i < 100 && !(await readdir(cluster.spool)).includes(row!.file); i++) await sleep(50);
  await pusher.pass();
}

let restores = 0;
async function restoredEvents(
  recovery: Parameters<BackupService['restore']>[0]['recovery'],
  timeline = 1,
): Promise<string[]> {
  const target = path.join(cluster.dir, `restored-${++restores}`);
  const result = await service.restore({ target, owner: cluster.runAs, recovery });
  assert.ok(result.walFiles > 0);
  assert.deepEqual(
    result.walGaps.filter((gap) => gap.timeline === timeline),
    [],
  );
  const restored = await cluster.startOn(target);
  try {
    return await withClient(restored.target(), async (client) =>
      (await client.query<{ name: string }>('SELECT name FROM events ORDER BY name')).rows.map((row) => row.name),
    );
  } finally {
    await restored.stop();
  }
}

describe('point-in-time recovery from the repositories', () => {
  test('to a moment between two commits finds exactly the rows committed before it', async () => {
    assert.deepEqual(await restoredEvents({ kind: 'time', at: betweenAandB }), ['A']);
  });

  test('to a named restore point stops right there', async () => {
    assert.deepEqual(await restoredEvents({ kind: 'name', name: 'before-c' }), ['A', 'B']);
  });

  test('to the latest archived WAL brings back every archived commit', async () => {
    assert.deepEqual(await restoredEvents({ kind: 'latest' }), ['A', 'B', 'C']);
  });

  test('a moment beyond the archived WAL is refused with the reason, and nothing is left behind', async () => {
    const target = path.join(cluster.dir, 'too-late');
    await assert.rejects(
      service.restore({
        target,
        owner: cluster.runAs,
        recovery: { kind: 'time', at: new Date(Date.now() + 3600_000) },
      }),
      (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'RESTORE_FAILED');
        assert.match(error.message, /archived WAL ends before the moment/);
        return true;
      },
    );
    assert.deepEqual(await readdir(target), []);
  });

  test('WAL missing from the repository the backup comes from is fetched from another', async () => {
    // A second repository holds the backup but none of the WAL (it fell behind): recovery must use the first's.
    const lagging = { name: 'lagging', store: new FsStore(path.join(cluster.dir, 'lagging')) };
    const both = new BackupService({ ...serviceDeps, repositories: [lagging, ...repositories] });
    const [listing] = await service.list();
    for (const object of await repositories[0]!.store.list(`backups/${listing!.record.id}/`)) {
      await lagging.store.put(object.key, repositories[0]!.store.get(object.key));
    }
    const target = path.join(cluster.dir, `restored-${++restores}`);
    const result = await both.restore({
      id: listing!.record.id,
      target,
      owner: cluster.runAs,
      recovery: { kind: 'latest' },
    });
    assert.equal(result.repository, 'lagging');
    assert.deepEqual(result.walGaps, []);
    const restored = await cluster.startOn(target);
    try {
      const names = await withClient(restored.target(), async (client) =>
        (await client.query<{ name: string }>('SELECT name FROM events ORDER BY name')).rows.map((row) => row.name),
      );
      assert.deepEqual(names, ['A', 'B', 'C']);
    } finally {
      await restored.stop();
    }
  });

  test('a damaged segment past the target does not fail a restore to the target; one before it stops recovery, naming the file and the repository', async () => {
    // Restored copies started by the tests above archived WAL of their own timeline 2 by now: this test reads timeline 1.
    await service.mark('before-d');
    await archiveEverything(); // the restore point's segment is closed and archived
    const [row] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS file');
    await cluster.sql("INSERT INTO events (name) VALUES ('D')");
    await archiveEverything();
    const damaged = row!.file;
    const key = (await repositories[0]!.store.list('wal/')).find((object) => object.key.includes(damaged))!.key;
    const file = path.join(cluster.dir, 'repository', key);
    const intact = await readFile(file);
    await writeFile(file, intact.subarray(0, intact.length / 2));
    try {
      assert.deepEqual(await restoredEvents({ kind: 'name', name: 'before-d' }), ['A', 'B', 'C']);

      const target = path.join(cluster.dir, 'through-damage');
      await assert.rejects(service.restore({ target, owner: cluster.runAs, recovery: { kind: 'latest' } }), (error) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'RESTORE_FAILED');
        assert.match(error.message, new RegExp(`could not read WAL ${damaged} from repository pitr: `));
        assert.doesNotMatch(error.message, /\.\.|\.:|wal-restore/);
        return true;
      });
      assert.deepEqual(await readdir(target), []);
      assert.deepEqual(
        (await readdir(cluster.dir)).filter((name) => name.endsWith('.wal-restore')),
        [],
        'the fetched WAL is removed',
      );
    } finally {
      await writeFile(file, intact);
    }
  });

  test('a second restore point of the same name is refused (Postgres could never reach it)', async () => {
    await assert.rejects(service.mark('before-c'), /already exists/);
  });

  test('an unknown restore point name says how restore points are made', async () => {
    await assert.rejects(
      service.restore({ target: path.join(cluster.dir, 'no-mark'), recovery: { kind: 'name', name: 'never-made' } }),
      /backup mark/,
    );
  });

  test('a moment before the earliest backup is refused, naming where the window starts', async () => {
    await assert.rejects(
      service.restore({
        target: path.join(cluster.dir, 'too-early'),
        recovery: { kind: 'time', at: new Date('2020-01-01T00:00:00Z') },
      }),
      /before the end of the earliest backup/,
    );
  });
});
