import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../../platform/clock/clock.js';
import { silentLogger } from '../../platform/log/log.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { BackupService, type Repository } from './backup.service.js';

let cluster: ScratchCluster;
let repository: Repository;
const clock = manualClock(new Date('2026-11-20T02:00:00Z'));
let service: BackupService;
let repoDir: string;

before(async () => {
  cluster = await startScratchCluster('retention');
  repoDir = path.join(cluster.dir, 'repository');
  repository = { name: 'main', store: new FsStore(repoDir), retention: { daily: 2, weekly: 0, monthly: 0 } };
  service = new BackupService({ repositories: [repository], source: cluster.target(), keyFile: path.join(cluster.dir, 'backup.key'), clock, log: silentLogger(), timeZone: 'UTC' });
  for (let day = 0; day < 4; day++) {
    await service.take();
    clock.advance(86_400_000);
  }
  // Archived WAL from before and after the backups (content does not matter to retention).
  await mkdir(path.join(repoDir, 'wal'), { recursive: true });
  // Streamed partial copies: one of a segment since stored whole (tidied), one of a segment that only it holds (kept).
  const names = ['000000010000000000000001', '0000000100000000000000F0', '00000002.history', '0000000100000000000000F0.00000000-00010000.partial', '0000000100000000000000F1.00000000-00002000.partial'];
  for (const name of names) await writeFile(path.join(repoDir, 'wal', `${name}.sealed`), 'x');
});
after(async () => {
  await cluster.stop();
});

const backupsOnDisk = async (): Promise<string[]> => (await readdir(path.join(repoDir, 'backups'))).sort();

test('a dry run says what would go and what stays restorable, and removes nothing', async () => {
  const before = await backupsOnDisk();
  const [report] = await service.retention({ dryRun: true });
  assert.equal(report!.keep.length, 2);
  assert.deepEqual(report!.remove, before.slice(0, 2));
  assert.equal(report!.walFilesRemoved, 2, 'WAL older than the oldest kept backup, and a partial copy of a segment stored whole');
  assert.equal(report!.recoverableFrom!.slice(0, 10), '2026-11-22');
  assert.deepEqual(await backupsOnDisk(), before);
});

test('retention waits while a restore holds the repository', async () => {
  await mkdir(path.join(repoDir, 'locks'), { recursive: true });
  const lock = path.join(repoDir, 'locks', `restore-${clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-abcd1234.json`);
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
  assert.deepEqual(wal, ['0000000100000000000000F0.sealed', '0000000100000000000000F1.00000000-00002000.partial.sealed', '00000002.history.sealed']);
  assert.deepEqual((await service.list()).map((listing) => listing.record.id), before.slice(2));
});
