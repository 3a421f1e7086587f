import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { WalPusher } from './backup.wal.js';

let cluster: ScratchCluster;

before(async () => {
  cluster = await startScratchCluster('wal', { archive: true });
});
after(async () => {
  await cluster.stop();
});

/** Writes something and closes the current WAL segment, so archive_command spools it. */
async function switchSegment(): Promise<string> {
  await cluster.sql('CREATE TABLE IF NOT EXISTS t (n int)');
  await cluster.sql('INSERT INTO t SELECT generate_series(1, 100)');
  const [row] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file');
  for (let i = 0; i < 100; i++) {
    if ((await readdir(cluster.spool)).includes(row!.file)) return row!.file;
    await sleep(50);
  }
  throw new Error(`archive_command never spooled ${row!.file}`);
}

const walIn = async (repository: string): Promise<string[]> =>
  (await readdir(path.join(cluster.dir, 'repos', repository, 'wal')).catch(() => [] as string[])).map((name) => name.replace(/\.sealed$/, ''));

test('archive_command spools each finished segment, and the pusher stores it in every repository, then frees the spool', async () => {
  const segment = await switchSegment();
  const pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories: ['one', 'two'].map((name) => ({ name, store: new FsStore(path.join(cluster.dir, 'repos', name)) })),
    keyFile: path.join(cluster.dir, 'backup.key'),
    clock: systemClock,
    log: silentLogger(),
  });
  await pusher.pass();
  assert.ok((await walIn('one')).includes(segment));
  assert.ok((await walIn('two')).includes(segment));
  assert.equal((await readdir(cluster.spool)).filter((name) => !name.startsWith('.')).length, 0);
  const status = await pusher.status();
  assert.equal(status.spooled, 0);
  assert.deepEqual(status.repositories.map((r) => [r.name, r.failingSince]), [['one', undefined], ['two', undefined]]);
});

test('a failing repository keeps WAL in the spool without holding up the others, and catches up when it returns', async () => {
  const brokenPath = path.join(cluster.dir, 'repos', 'broken');
  await writeFile(brokenPath, 'not a directory: every write fails');
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories: [
      { name: 'good', store: new FsStore(path.join(cluster.dir, 'repos', 'good')) },
      { name: 'broken', store: new FsStore(brokenPath) },
    ],
    keyFile: path.join(cluster.dir, 'backup.key'),
    clock,
    log: silentLogger(),
  });
  const first = await switchSegment();
  await pusher.pass();
  assert.ok((await walIn('good')).includes(first));
  assert.ok((await readdir(cluster.spool)).includes(first), 'the segment stays spooled until the broken repository has it');
  const status = await pusher.status();
  assert.ok(status.repositories.find((r) => r.name === 'broken')!.failingSince);
  assert.match(status.repositories.find((r) => r.name === 'broken')!.lastError!, /Failed writing/);

  const second = await switchSegment();
  await pusher.pass();
  assert.ok((await walIn('good')).includes(second), 'the good repository keeps up meanwhile');

  await rm(brokenPath);
  now += 120_000; // past the retry backoff
  await pusher.pass();
  assert.ok((await walIn('broken')).includes(first));
  assert.ok((await walIn('broken')).includes(second));
  assert.deepEqual((await readdir(cluster.spool)).filter((name) => !name.startsWith('.')), []);
  assert.equal((await pusher.status()).repositories.find((r) => r.name === 'broken')!.failingSince, undefined);
});
