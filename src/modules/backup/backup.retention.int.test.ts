import assert from 'node:assert/strict';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { manualClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { BackupService, type Repository } from '../../../test/helpers/backup-service.js';
import { activeLock, lockRepository } from './backup.locks.js';

/** A directory repository that notes which locks were in place at each removal of a backup's object. */
class WatchedStore extends FsStore {
  readonly locksAtRemoval: string[][] = [];
  override async delete(key: string): Promise<void> {
    if (key.startsWith('backups/')) this.locksAtRemoval.push((await this.list('locks/')).map((object) => object.key));
    return super.delete(key);
  }
}

let cluster: ScratchCluster;
let repository: Repository;
let store: WatchedStore;
const clock = manualClock(new Date('2026-11-20T02:00:00Z'));
let service: BackupService;
let repoDir: string;

/** A service backing the scratch cluster up to `repository`, after `days` daily backups, a day apart. */
async function dailyBackups(repository: Repository, days: number): Promise<BackupService> {
  const backups = new BackupService({
    repositories: [repository],
    source: cluster.target(),
    sourceDataDir: cluster.dataDir,
    keyFile: path.join(cluster.dir, 'backup.key'),
    clock,
    log: silentLogger(),
    timeZone: 'UTC',
  });
  for (let day = 0; day < days; day++) {
    await backups.take();
    clock.advance(86_400_000);
  }
  return backups;
}

before(async () => {
  cluster = await startScratchCluster('retention');
  repoDir = path.join(cluster.dir, 'repository');
  store = new WatchedStore(repoDir);
  repository = { name: 'main', store, retention: { daily: 2, weekly: 0, monthly: 0 } };
  service = await dailyBackups(repository, 4);
  // Archived WAL from before and after the backups (content does not matter to retention).
  await mkdir(path.join(repoDir, 'wal'), { recursive: true });
  // Streamed partial copies: one of a segment since stored whole (tidied), one of a segment that only it holds (kept).
  const names = [
    '000000010000000000000001',
    '0000000100000000000000F0',
    '00000002.history',
    '0000000100000000000000F0.00000000-00010000.partial',
    '0000000100000000000000F1.00000000-00002000.partial',
  ];
  for (const name of names) await writeFile(path.join(repoDir, 'wal', `${name}.sealed`), 'x');
});
after(async () => {
  await cluster.stop();
});

const stamp = (): string =>
  clock
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
const backupsOnDisk = async (): Promise<string[]> => (await readdir(path.join(repoDir, 'backups'))).sort();

test('a dry run says what would go and what stays restorable, and removes nothing', async () => {
  const before = await backupsOnDisk();
  const [report] = await service.retention({ dryRun: true });
  assert.equal(report!.keep.length, 2);
  assert.deepEqual(report!.remove, before.slice(0, 2));
  assert.equal(
    report!.walFilesRemoved,
    2,
    'WAL older than the oldest kept backup, and a partial copy of a segment stored whole',
  );
  assert.equal(report!.recoverableFrom!.slice(0, 10), '2026-11-22');
  assert.deepEqual(await backupsOnDisk(), before);
});

test('retention waits while a restore holds the repository', async () => {
  await mkdir(path.join(repoDir, 'locks'), { recursive: true });
  const lock = path.join(repoDir, 'locks', `restore-${stamp()}-abcd1234.json`);
  await writeFile(lock, '{}');
  const [report] = await service.retention({ dryRun: false });
  assert.match(report!.skipped!, /a restore is running/);
  assert.equal((await backupsOnDisk()).length, 4);
  await rm(lock);
});

test('retention removes old backups whole, the WAL only they needed, and partial copies of segments stored whole', async () => {
  const before = await backupsOnDisk();
  await service.retention({ dryRun: false });
  assert.deepEqual(await backupsOnDisk(), before.slice(2));
  const wal = (await readdir(path.join(repoDir, 'wal'))).sort();
  assert.deepEqual(wal, [
    '0000000100000000000000F0.sealed',
    '0000000100000000000000F1.00000000-00002000.partial.sealed',
    '00000002.history.sealed',
  ]);
  assert.deepEqual(
    (await service.list()).map((listing) => listing.record.id),
    before.slice(2),
  );
  // A restore starting while it removes sees its lock (and waits); none is left behind.
  assert.ok(store.locksAtRemoval.length > 0);
  for (const locks of store.locksAtRemoval)
    assert.ok(
      locks.some((key) => key.startsWith('locks/retention-')),
      `no retention lock at a removal: ${locks.join(', ')}`,
    );
  assert.deepEqual(await store.list('locks/'), []);
});

test('retention removes backups that never finished and temporary files of writes that died, once a day old', async () => {
  const day = 86_400_000;
  const old = (await backupsOnDisk())[0]!.replace(/^\d{8}/, '20261101'); // died three weeks ago
  const recent = stamp(); // started a moment ago: perhaps still running in another process
  for (const id of [old, recent]) {
    await mkdir(path.join(repoDir, 'backups', id), { recursive: true });
    await writeFile(path.join(repoDir, 'backups', id, 'base.tar.sealed'), 'x');
  }
  const deadWrite = path.join(repoDir, 'wal', '0000000100000000000000F2.sealed.part-0badf00d');
  const liveWrite = path.join(repoDir, 'wal', '0000000100000000000000F3.sealed.part-0000beef');
  await writeFile(deadWrite, 'half');
  await writeFile(liveWrite, 'half');
  const longAgo = new Date(clock.now().getTime() - 2 * day);
  await utimes(deadWrite, longAgo, longAgo);
  await utimes(liveWrite, clock.now(), clock.now());

  const [dry] = await service.retention({ dryRun: true });
  assert.deepEqual(dry!.abandoned, [old]);
  assert.ok((await backupsOnDisk()).includes(old));
  const [report] = await service.retention({ dryRun: false });
  assert.deepEqual(report!.abandoned, [old]);
  assert.equal(report!.unfinishedWritesRemoved, 1);
  const left = await backupsOnDisk();
  assert.ok(!left.includes(old) && left.includes(recent));
  const wal = await readdir(path.join(repoDir, 'wal'));
  assert.ok(!wal.includes(path.basename(deadWrite)) && wal.includes(path.basename(liveWrite)));
  await rm(path.join(repoDir, 'backups', recent), { recursive: true });
  await rm(liveWrite);
});

test('a restore waits while a retention is removing things, and not for one that died long ago', async () => {
  await mkdir(path.join(repoDir, 'locks'), { recursive: true }); // removed with its last lock, as object stores have no directories
  const dead = path.join(repoDir, 'locks', `retention-${stamp()}-dead0000.json`);
  await writeFile(dead, '{}');
  clock.advance(16 * 60_000); // a retention that started 16 minutes ago and never finished holds nothing back
  const live = path.join(repoDir, 'locks', `retention-${stamp()}-a11ce000.json`);
  await writeFile(live, '{}');
  let finished = false;
  const restoring = service
    .restore({ target: path.join(cluster.dir, 'restored'), recovery: 'none' })
    .finally(() => (finished = true));
  await sleep(2500);
  assert.equal(finished, false, 'the restore went ahead while a retention was running');
  await rm(live);
  const result = await restoring;
  assert.ok(result.files > 0);
  await rm(dead);
});

test('a restore that starts while retention removes things (its lock written anyway) stops it there', async () => {
  const dir = path.join(cluster.dir, 'repository-interrupted');
  /** Writes a restore's lock as the first backup's record is removed: a restore started just then. */
  class RestoreArrives extends FsStore {
    arrived = false;
    override async delete(key: string): Promise<void> {
      if (!this.arrived && key.startsWith('backups/')) {
        this.arrived = true;
        await mkdir(path.join(dir, 'locks'), { recursive: true });
        await writeFile(path.join(dir, 'locks', `restore-${stamp()}-feed0000.json`), '{}');
      }
      return super.delete(key);
    }
  }
  const interrupted = await dailyBackups(
    { name: 'interrupted', store: new RestoreArrives(dir), retention: { daily: 1, weekly: 0, monthly: 0 } },
    3,
  );
  const [report] = await interrupted.retention({ dryRun: false });
  assert.match(
    report!.skipped!,
    /a restore started while it ran: it stopped after removing 1 backup\(s\) and 0 WAL file\(s\)/,
  );
  assert.equal(report!.remove.length, 1);
  assert.equal((await readdir(path.join(dir, 'backups'))).length, 2, 'the second backup to go is still there, whole');
});

test("a long retention's lock is written anew, so it never looks stale to a restore", async () => {
  const lockClock = manualClock(new Date('2026-12-01T00:00:00Z'));
  const locked = { name: 'locked', store: new FsStore(path.join(cluster.dir, 'repository-locked')) };
  const lock = await lockRepository({ clock: lockClock }, locked, 'retention');
  assert.ok(lock.held);
  lockClock.advance(6 * 60_000);
  await lock.refresh(5 * 60_000);
  lockClock.advance(12 * 60_000); // 18 minutes after it began: the first lock would be stale
  assert.ok(await activeLock({ clock: lockClock }, locked, 'retention'), 'still holding restores back');
  assert.equal((await locked.store.list('locks/')).length, 1, 'one lock at a time');
  await lock.release();
  assert.equal(await activeLock({ clock: lockClock }, locked, 'retention'), undefined);
});
