import assert from 'node:assert/strict';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
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
import { BackupService, type Recover, type Repository } from '../../../test/helpers/backup-service.js';
import { loadBackupKey } from '../../platform/crypto/backup-key.js';
import { recordKey } from './backup.catalog.js';
import { manifestOf } from './backup.chain.js';
import type { BackupResult } from './backup.take.js';
import { WalPusher } from './backup.wal.js';

let cluster: ScratchCluster;
let repository: Repository;
let service: BackupService;
let pusher: WalPusher;
let keyFile: string;
let full: BackupResult;
let monday: BackupResult;
let tuesday: BackupResult;
/** A moment after Monday's incremental, between the commits of A and B. */
let betweenAandB: Date;

/** Writes are flushed, and a second passes: the files they touched are older than the next backup's start. */
async function settle(): Promise<void> {
  await cluster.sql('CHECKPOINT');
  await sleep(1100);
}

before(async () => {
  cluster = await startScratchCluster('incremental', { archive: true });
  // Keeps only the newest backup by its policy: what a chain needs must be kept anyway.
  repository = {
    name: 'incr',
    store: new FsStore(path.join(cluster.dir, 'repository')),
    retention: { daily: 1, weekly: 0, monthly: 0 },
  };
  keyFile = path.join(cluster.dir, 'backup.key');
  const binaries = await resolveBinaries(cluster.runAs);
  const log = silentLogger();
  service = new BackupService({
    repositories: [repository],
    source: cluster.target(),
    sourceDataDir: cluster.dataDir,
    keyFile,
    clock: systemClock,
    log,
    recover: (run: Parameters<Recover>[0]) => runRecovery({ ...run, binaries, runAs: cluster.runAs, log }),
  });
  pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories: [repository],
    keyFile,
    clock: systemClock,
    log,
  });

  // A quiet table of about 16 MB that no day after Sunday touches, and one table per day.
  await cluster.sql(
    "CREATE TABLE quiet AS SELECT g AS id, repeat('q', 200) AS filler FROM generate_series(1, 60000) g",
  );
  await cluster.sql('CREATE TABLE monday (id int); CREATE TABLE tuesday (id int)');
  await cluster.sql('CREATE TABLE events (name text PRIMARY KEY)');
  await settle();
  full = await service.take();

  await cluster.sql('INSERT INTO monday SELECT generate_series(1, 1000)');
  await settle();
  monday = await service.take(undefined, undefined, { incremental: true });

  await cluster.sql("INSERT INTO events VALUES ('A')");
  const [row] = await cluster.sql<{ now: Date }>('SELECT clock_timestamp() AS now');
  betweenAandB = row!.now;
  await sleep(200);
  await cluster.sql("INSERT INTO events VALUES ('B')");
  await cluster.sql('INSERT INTO tuesday SELECT generate_series(1, 1000)');
  await settle();
  tuesday = await service.take(undefined, undefined, { incremental: true });
  await cluster.sql("INSERT INTO events VALUES ('C')");
  const [segment] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file');
  for (let i = 0; i < 100 && !(await readdir(cluster.spool)).includes(segment!.file); i++) await sleep(50);
  await pusher.pass();
});
after(async () => {
  await cluster?.stop();
});

let restores = 0;
/** What a restore finds: Monday's and Tuesday's row counts and the events, in order. */
async function restored(
  options: Omit<Parameters<BackupService['restore']>[0], 'target' | 'owner'>,
): Promise<{ id: string; monday: number; tuesday: number; quiet: number; events: string[] }> {
  const target = path.join(cluster.dir, `restored-${++restores}`);
  const result = await service.restore({ ...options, target, owner: cluster.runAs });
  const copy = await cluster.startOn(target);
  try {
    return await withClient(copy.target(), async (client) => {
      const count = async (table: string): Promise<number> =>
        Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      const events = (await client.query<{ name: string }>('SELECT name FROM events ORDER BY name')).rows;
      return {
        id: result.record.id,
        monday: await count('monday'),
        tuesday: await count('tuesday'),
        quiet: await count('quiet'),
        events: events.map((event) => event.name),
      };
    });
  } finally {
    await copy.stop();
  }
}

/** What a restore to the latest WAL finds, from `backup`. */
const everything = (backup: BackupResult): Awaited<ReturnType<typeof restored>> => ({
  id: backup.record.id,
  monday: 1000,
  tuesday: 1000,
  quiet: 60000,
  events: ['A', 'B', 'C'],
});

describe('incremental backups', () => {
  test('store only the files changed since the backup before, and name the backups holding the rest', () => {
    assert.equal(full.record.references, undefined);
    assert.deepEqual(monday.record.references, [full.record.id]);
    // Monday's table changed on Monday only: Tuesday's backup takes it from Monday's, the quiet table from Sunday's.
    assert.deepEqual(tuesday.record.references, [full.record.id, monday.record.id]);
    // What each stores: the changed files, and the 16 MB WAL segment every backup carries.
    for (const incremental of [monday, tuesday])
      assert.ok(
        incremental.record.sourceBytes < full.record.sourceBytes / 2,
        `${incremental.record.sourceBytes} bytes of ${full.record.sourceBytes}`,
      );
  });

  test("an incremental's manifest names, for each file it left out, the backup holding it", async () => {
    const { key } = await loadBackupKey(keyFile, { create: false });
    const files = new Map(
      (await manifestOf(repository, tuesday.record, key)).Files.map((file) => [file.Path, file.Reference]),
    );
    const fileOf = async (table: string): Promise<string> =>
      (await cluster.sql<{ file: string }>('SELECT pg_relation_filepath($1) AS file', [table]))[0]!.file;
    assert.equal(files.get(await fileOf('quiet')), full.record.id);
    assert.equal(files.get(await fileOf('monday')), monday.record.id);
    assert.ok(files.has(await fileOf('tuesday')));
    assert.equal(files.get(await fileOf('tuesday')), undefined, "Tuesday's table is stored in Tuesday's backup");
  });

  test('a restore to a moment between two incrementals finds exactly the rows committed before it', async () => {
    const between = await restored({ recovery: { kind: 'time', at: betweenAandB } });
    assert.deepEqual(between, { id: monday.record.id, monday: 1000, tuesday: 0, quiet: 60000, events: ['A'] });
  });

  test('the latest incremental restores through its whole chain, and the WAL after it', async () => {
    const latest = await restored({ recovery: { kind: 'latest' } });
    assert.deepEqual(latest, everything(tuesday));
  });

  test('verify checks the files an incremental stored and the links of its chain', async () => {
    const [result] = await service.verify(tuesday.record.id);
    assert.deepEqual(result!.problems, []);
    assert.ok(result!.ok);
    assert.ok(result!.chainFiles! > result!.files, `${result!.chainFiles} files in the chain, ${result!.files} stored`);
  });

  test('verify reads the files an incremental needs from the backups it builds on: a damaged archive of the full one is reported', async () => {
    const archive = path.join(cluster.dir, 'repository', 'backups', full.record.id, 'base.tar.sealed');
    const intact = await readFile(archive);
    const damaged = Buffer.from(intact);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await writeFile(archive, damaged);
    try {
      const [result] = await service.verify(tuesday.record.id);
      assert.equal(result!.ok, false);
      assert.match(
        result!.problems.join('\n'),
        new RegExp(
          `backup ${full.record.id}, which holds \\d+ files of this incremental, cannot be read \\(.*base.tar.sealed fails authentication`,
        ),
      );
    } finally {
      await writeFile(archive, intact);
    }
  });

  test('retention keeps what a kept incremental needs, and says so', async () => {
    const [report] = await service.retention({ dryRun: true });
    assert.deepEqual(report!.keep, [full.record.id, monday.record.id, tuesday.record.id]);
    assert.deepEqual(report!.remove, []);
    assert.deepEqual(report!.keptForChains, {
      // Sunday's is needed by Tuesday's directly and by Monday's, which Tuesday's needs.
      [full.record.id]: [monday.record.id, tuesday.record.id],
      [monday.record.id]: [tuesday.record.id],
    });
  });

  test('a missing middle incremental is reported by verify and by a restore of the chain; without an id the restore falls back to the full backup', async () => {
    const kept = path.join(cluster.dir, 'repository', recordKey(monday.record.id));
    await rename(kept, `${kept}.aside`);
    try {
      const [result] = await service.verify(tuesday.record.id);
      assert.equal(result!.ok, false);
      assert.match(
        result!.problems.join('\n'),
        new RegExp(`the chain is broken: backup ${monday.record.id}, which holds \\d+ files`),
      );

      const target = path.join(cluster.dir, 'broken-chain');
      await assert.rejects(service.restore({ id: tuesday.record.id, target, owner: cluster.runAs }), (error) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'RESTORE_FAILED');
        assert.match(error.message, new RegExp(`kept in backup ${monday.record.id}, which incr cannot give`));
        return true;
      });
      assert.deepEqual(await readdir(target), []);

      // Replaying the WAL from Sunday's full backup reaches the same commits.
      const fallen = await restored({ recovery: { kind: 'latest' } });
      assert.deepEqual(fallen, everything(full));
    } finally {
      await rename(`${kept}.aside`, kept);
    }
  });
});
