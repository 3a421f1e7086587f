import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { chown, copyFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../platform/clock/clock.js';
import { withClient } from '../../platform/db/connect.js';
import { silentLogger } from '../../platform/log/log.js';
import { readWalRange } from '../../platform/postgres/wal-files.js';
import { scratchBackups } from '../../../test/helpers/backups.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import type { BackupService } from './backup.service.js';
import { type Repository } from './backup.service.js';
import type { WalPusher } from './backup.wal.js';
import { WalStreamer } from './backup.wal-stream.js';

let cluster: ScratchCluster;
let repositories: Repository[];
let service: BackupService;
let keyFile: string;
let pusher: WalPusher;

before(async () => {
  // No archive_timeout: only the streamer can get the segment in progress to the repository.
  cluster = await startScratchCluster('wal-stream', { archive: true, restartOnCrash: false });
  ({ service, repositories, keyFile, pusher } = await scratchBackups(cluster, 'offsite'));
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY)');
  await service.take();
});
after(async () => {
  await cluster.stop();
});

const walObjects = async (): Promise<string[]> =>
  (await readdir(path.join(cluster.dir, 'offsite', 'wal')).catch(() => [] as string[])).sort();

const streamerOn = (intervalMs: number): WalStreamer =>
  new WalStreamer({
    flushPosition: async () =>
      (
        await cluster.sql<{ lsn: string; segment: string }>(
          'SELECT lsn::text, pg_walfile_name(lsn) AS segment FROM pg_current_wal_flush_lsn() AS lsn',
        )
      )[0]!,
    readWal: (segment, from, to) => readWalRange(path.join(cluster.dataDir, 'pg_wal'), segment, from, to),
    repositories,
    keyFile,
    clock: systemClock,
    log: silentLogger(),
    uploadIntervalMs: intervalMs,
  });

test("a flush ending exactly on a segment boundary stores the end of that segment, never the next file (a recycled segment's leftovers)", async () => {
  const streamer = streamerOn(60_000);
  try {
    await cluster.sql('INSERT INTO orders VALUES (-1)');
    const [{ file }] = (await cluster.sql<{ file: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS file',
    )) as [{ file: string }];
    const next = `${file.slice(0, 16)}${(parseInt(file.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    // The next segment's file as a recycled one is: there already, holding an older segment's bytes.
    const walDir = path.join(cluster.dataDir, 'pg_wal');
    const owner = await stat(path.join(walDir, file));
    await copyFile(path.join(walDir, file), path.join(walDir, next), constants.COPYFILE_EXCL)
      .then(() => chown(path.join(walDir, next), owner.uid, owner.gid))
      .catch(() => undefined);
    // After the switch the flush position is the boundary; PostgreSQL 18 names it by the next segment.
    await cluster.sql('SELECT pg_switch_wal()');
    await streamer.tick(true);
    const pieces = (await walObjects()).filter((name) => name.startsWith(`${next}.`) && name.includes('.partial'));
    // Anything stored of the next segment can only be the little written since the switch.
    assert.deepEqual(
      pieces.filter((name) => name.includes('-01000000.partial')),
      [],
      `a whole segment of nothing stored: ${pieces.join(' ')}`,
    );
  } finally {
    await streamer.stop({ flush: false });
  }
  await cluster.sql('DELETE FROM orders WHERE id = -1');
});

test('the WAL being written reaches the repository before its segment is finished, and a restore after kill -9 brings back those commits', async (t) => {
  const streamer = streamerOn(200);
  pusher.start();
  streamer.start();
  try {
    // A finished segment goes whole through the archive; its partial copy is then removed.
    await cluster.sql('INSERT INTO orders SELECT generate_series(1, 100)');
    const [switched] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file');
    let objects: string[] = [];
    for (let i = 0; i < 300; i++) {
      objects = await walObjects();
      if (
        objects.includes(`${switched!.file}.sealed`) &&
        !objects.some((name) => name.startsWith(`${switched!.file}.`) && name.includes('.partial'))
      )
        break;
      await sleep(100);
    }
    assert.ok(objects.includes(`${switched!.file}.sealed`), `whole segment archived: ${objects.join(' ')}`);
    assert.ok(
      !objects.some((name) => name.startsWith(`${switched!.file}.`) && name.includes('.partial')),
      `its partial copy removed: ${objects.join(' ')}`,
    );

    await cluster.sql('INSERT INTO orders SELECT generate_series(101, 200)');
    const [{ lsn }] = (await cluster.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')) as [
      { lsn: string },
    ];
    // How fast is the benchmark's business (RPO); here: that it gets there while the segment is still being written.
    const waitedFrom = Date.now();
    while (!(await service.walHeldUpTo(lsn, 1)) && Date.now() - waitedFrom < 30_000) await sleep(50);
    t.diagnostic(`the commit reached the repository after ${((Date.now() - waitedFrom) / 1000).toFixed(2)} s`);
    assert.ok(await service.walHeldUpTo(lsn, 1), 'the commit reached the repository');
    const [{ segment }] = (await cluster.sql<{ segment: string }>(
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS segment',
    )) as [{ segment: string }];
    assert.ok(
      !(await walObjects()).includes(`${segment}.sealed`),
      'while its segment was still being written (no archive_timeout here)',
    );
    assert.ok(streamer.status().connected, streamer.status().lastError);
  } finally {
    // The machine dies: nothing more is archived or pushed.
    process.kill(cluster.supervisor.pid!, 'SIGKILL');
    await streamer.stop({ flush: false });
    await pusher.stop(0);
  }
  const target = path.join(cluster.dir, 'restored');
  const result = await service.restore({ target, owner: cluster.runAs });
  assert.deepEqual(result.walGaps, []);
  const restored = await cluster.startOn(target);
  try {
    const [{ n }] = (await withClient(
      restored.target(),
      async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows,
    )) as [{ n: number }];
    assert.equal(n, 200, 'the commits in the unfinished segment came back from its streamed copy');
  } finally {
    await restored.stop();
  }
});
