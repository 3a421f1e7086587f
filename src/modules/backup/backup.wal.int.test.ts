import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { startFakeS3 } from '../../../test/helpers/s3.js';
import { TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import { WalPusher } from './backup.wal.js';
import { observeWalSpool } from './backup.status.js';
import { archiveOutcome } from './backup.probes.js';

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
  (await readdir(path.join(cluster.dir, 'repos', repository, 'wal')).catch(() => [] as string[])).map((name) =>
    name.replace(/\.sealed$/, ''),
  );

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
  assert.deepEqual(
    status.repositories.map((r) => [r.name, r.failingSince]),
    [
      ['one', undefined],
      ['two', undefined],
    ],
  );
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
  assert.ok(
    (await readdir(cluster.spool)).includes(first),
    'the segment stays spooled until the broken repository has it',
  );
  const status = await pusher.status();
  assert.ok(status.repositories.find((r) => r.name === 'broken')!.failingSince);
  // Its first operation fails: reading the repository's claim (see claimRepository), before any write.
  assert.match(
    status.repositories.find((r) => r.name === 'broken')!.lastError!,
    /Failed (reading|writing) .*repos\/broken/,
  );
  const warnings: string[] = [];
  await observeWalSpool(new FsStore(cluster.spool), warnings, new Date(now + 180_000));
  assert.deepEqual(
    warnings.map((warning) => warning.replace(/\(since [^)]+\): .*/, '(since …)')),
    ['WAL archiving to repository broken has been failing for 3 minute(s) (since …)'],
    'steadfast status, another process, sees it at once',
  );

  const second = await switchSegment();
  await pusher.pass();
  assert.ok((await walIn('good')).includes(second), 'the good repository keeps up meanwhile');

  await rm(brokenPath);
  now += 120_000; // past the retry backoff
  await pusher.pass();
  assert.ok((await walIn('broken')).includes(first));
  assert.ok((await walIn('broken')).includes(second));
  assert.deepEqual(
    (await readdir(cluster.spool)).filter((name) => !name.startsWith('.')),
    [],
  );
  assert.equal((await pusher.status()).repositories.find((r) => r.name === 'broken')!.failingSince, undefined);
  const later: string[] = [];
  await observeWalSpool(new FsStore(cluster.spool), later);
  assert.deepEqual(later, [], 'and sees it work again');
});

test('WAL never goes to a repository claimed by another cluster; the others get it, and the refusal says why', async () => {
  const [row] = await cluster.sql<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
  const theirs = path.join(cluster.dir, 'repos', 'theirs');
  await mkdir(theirs, { recursive: true });
  await writeFile(path.join(theirs, 'repository.json'), JSON.stringify({ systemIdentifier: '7000000000000000001' }));
  const pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories: [
      { name: 'ours', store: new FsStore(path.join(cluster.dir, 'repos', 'ours')) },
      { name: 'theirs', store: new FsStore(theirs) },
    ],
    keyFile: path.join(cluster.dir, 'backup.key'),
    clock: systemClock,
    log: silentLogger(),
  });
  const segment = await switchSegment();
  await pusher.pass();
  assert.ok((await walIn('ours')).includes(segment));
  assert.deepEqual(await walIn('theirs'), [], 'nothing written into the other cluster repository');
  const refused = (await pusher.status()).repositories.find((r) => r.name === 'theirs')!;
  assert.match(
    refused.lastError!,
    /another PostgreSQL cluster \(system identifier 7000000000000000001\); this cluster is \d+/,
  );
  assert.ok((await readdir(cluster.spool)).includes(segment), 'kept in the spool: Postgres loses nothing');
  // The repository this cluster writes to is claimed for it, by the identifier in the WAL's own header.
  const claim = JSON.parse(await readFile(path.join(cluster.dir, 'repos', 'ours', 'repository.json'), 'utf8')) as {
    systemIdentifier: string;
  };
  assert.equal(claim.systemIdentifier, row!.id);
});

test('an archived segment is never written over: the same bytes are accepted, other bytes refused and reported', async () => {
  const repository = { name: 'kept', store: new FsStore(path.join(cluster.dir, 'repos', 'kept')) };
  const pusher = (spool: string) =>
    new WalPusher({
      spool: new FsStore(spool),
      repositories: [repository],
      keyFile: path.join(cluster.dir, 'backup.key'),
      clock: systemClock,
      log: silentLogger(),
    });
  const segment = await switchSegment();
  const original = await readFile(path.join(cluster.spool, segment));
  await pusher(cluster.spool).pass();
  const archived = path.join(cluster.dir, 'repos', 'kept', 'wal', `${segment}.sealed`);
  const stored = await readFile(archived);

  // An old primary of this cluster, still archiving after a failover: the same segment, other bytes.
  const oldPrimarySpool = path.join(cluster.dir, 'old-primary-spool');
  await mkdir(oldPrimarySpool, { recursive: true });
  const diverged = Buffer.from(original);
  diverged.fill(0x5a, 8192, 16384); // the header (and the cluster it names) as it was; a later page differs
  await writeFile(path.join(oldPrimarySpool, segment), diverged);
  const old = pusher(oldPrimarySpool);
  await old.pass();
  const status = await old.status();
  assert.match(
    status.repositories[0]!.lastError!,
    new RegExp(`${segment} is already archived in kept with other contents; it is not written over`),
  );
  assert.equal(
    archiveOutcome(status, new Date()).state,
    'major_outage',
    'the WAL archive component goes down: an alert',
  );
  assert.ok((await readFile(archived)).equals(stored), 'the archived segment is untouched');
  assert.ok((await readdir(oldPrimarySpool)).includes(segment), 'the refused copy stays in its spool');

  // The same bytes again (a retry after a crash between storing and freeing the spool) are taken as stored.
  await writeFile(path.join(oldPrimarySpool, segment), original);
  await pusher(oldPrimarySpool).pass();
  assert.ok(!(await readdir(oldPrimarySpool)).includes(segment), 'accepted as already archived');
  assert.ok((await readFile(archived)).equals(stored), 'and not written again');
});

test('a repository that hangs is reported with where, holds up nothing else, and catches up when it answers again', async () => {
  const s3 = await startFakeS3();
  const proxy = new TcpProxy('127.0.0.1:0', s3.endpoint.replace('http://', ''));
  try {
    const port = await proxy.ready();
    const slow = {
      name: 'slow',
      store: s3.store('hangs', { endpoint: `http://127.0.0.1:${port}`, timeouts: { connectMs: 1000, idleMs: 500 } }),
    };
    const local = { name: 'near', store: new FsStore(path.join(cluster.dir, 'repos', 'near')) };
    const pusher = new WalPusher({
      spool: new FsStore(cluster.spool),
      repositories: [local, slow],
      keyFile: path.join(cluster.dir, 'backup.key'),
      clock: systemClock,
      log: silentLogger(),
    });
    await proxy.command('partition'); // bytes held, never answered: slow, not down
    const segment = await switchSegment();
    await pusher.pass();
    assert.ok((await walIn('near')).includes(segment), 'the repository that answers has it at once');
    const hung = (await pusher.status()).repositories.find((r) => r.name === 'slow')!;
    assert.ok(hung.failingSince, 'the hanging repository is reported');
    assert.match(hung.lastError!, new RegExp(`at http://127\\.0\\.0\\.1:${port}`), 'with where');
    assert.ok((await readdir(cluster.spool)).includes(segment), 'kept in the spool for it');

    await proxy.command('heal');
    for (let i = 0; i < 100 && (await readdir(cluster.spool)).includes(segment); i++) {
      await sleep(200);
      await pusher.pass();
    }
    assert.ok(!(await readdir(cluster.spool)).includes(segment), 'caught up once it answered');
    assert.equal((await pusher.status()).repositories.find((r) => r.name === 'slow')!.failingSince, undefined);
    assert.ok((await s3.store('hangs').list('wal/')).some((object) => object.key.startsWith(`wal/${segment}`)));
  } finally {
    await proxy.stop();
    await s3.stop();
  }
});
