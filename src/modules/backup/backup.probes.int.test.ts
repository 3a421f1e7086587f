import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fakeBackupDeps } from '../../../test/helpers/backup-fakes.js';
import { manualClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { repositoryProbes, walArchiveProbe } from './backup.probes.js';
import { BackupService } from './backup.service.js';
import { WalPusher } from './backup.wal.js';

/** A directory repository that stops answering reads (a hung mount, an unreachable server). */
class HangingStore extends FsStore {
  override get(): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Buffer>>(() => undefined) }) };
  }
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steadfast-probes-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const never = new AbortController().signal;

/** A case's own directory: its key, its repositories, and a file where a broken repository's directory should be. */
async function caseDir(name: string): Promise<string> {
  const root = path.join(dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'not-a-directory'), 'every read and write under it fails');
  return root;
}

test('a directory repository answers its probe with the age of its newest backup; a broken one fails it', async () => {
  const root = await caseDir('ages');
  const clock = manualClock(new Date('2026-11-24T02:00:00Z'));
  const repositories = [
    { name: 'local', store: new FsStore(path.join(root, 'local')) },
    { name: 'broken', store: new FsStore(path.join(root, 'not-a-directory')) },
  ];
  const service = new BackupService(fakeBackupDeps(root, { repositories, clock }));
  assert.deepEqual((await service.take()).stored, ['local']);
  clock.advance(3 * 3_600_000);

  const [local, broken] = repositoryProbes(service, clock);
  assert.deepEqual(
    [local!.component.id, broken!.component.id, local!.component.name],
    ['repository:local', 'repository:broken', 'Backup repository local'],
  );
  const outcome = await local!.check(never);
  assert.equal(outcome.state, 'operational');
  assert.deepEqual(outcome.figures, { last_backup_age_hours: 3 });
  assert.ok(typeof outcome.responseMs === 'number' && outcome.responseMs >= 0);
  assert.match(outcome.message, /^answered in [\d.]+ ms; newest backup 20261124T020000Z, 3 h old$/);
  await assert.rejects(broken!.check(never), /Failed reading repository\.json/);
});

test('an empty repository is degraded until it holds a backup', async () => {
  const root = await caseDir('empty');
  const repositories = [{ name: 'fresh', store: new FsStore(path.join(root, 'fresh')) }];
  const [fresh] = repositoryProbes(new BackupService(fakeBackupDeps(root, { repositories })));
  const outcome = await fresh!.check(never);
  assert.equal(outcome.state, 'degraded');
  assert.match(outcome.message, /holds no complete backup yet$/);
});

test('a repository that does not answer fails its probe once the round aborts it', async () => {
  const root = await caseDir('hanging');
  const repositories = [{ name: 'hung', store: new HangingStore(path.join(root, 'hung')) }];
  const [hung] = repositoryProbes(new BackupService(fakeBackupDeps(root, { repositories })));
  const round = new AbortController();
  const checked = hung!.check(round.signal);
  round.abort(new Error('the round is over'));
  await assert.rejects(checked, /the round is over/);
});

test('WAL the only repository cannot take is a major outage, its lag counted from when it was spooled', async () => {
  const root = await caseDir('archive');
  const clock = manualClock(new Date('2026-11-24T02:00:00Z'));
  const spool = new FsStore(path.join(root, 'spool'));
  await mkdir(path.join(root, 'spool'));
  await writeFile(path.join(root, 'spool', '00000002.history'), '1\t0/3000000\tno recovery target specified\n');
  const pusher = new WalPusher({
    spool,
    repositories: [{ name: 'broken', store: new FsStore(path.join(root, 'not-a-directory')) }],
    keyFile: path.join(root, 'backup.key'),
    clock,
    log: silentLogger(),
  });
  await pusher.pass();
  clock.advance(90_000);
  const probe = walArchiveProbe(pusher, clock);
  assert.equal(probe.component.id, 'wal-archive');
  const outcome = await probe.check(never);
  assert.equal(outcome.state, 'major_outage');
  assert.deepEqual(outcome.figures, { archive_lag_seconds: 90, wal_spooled_files: 1 });
  assert.match(
    outcome.message,
    /^storing WAL in broken fails since 2026-11-24T02:00:00.000Z \(.+\); 1 WAL file\(s\) wait/,
  );
});
