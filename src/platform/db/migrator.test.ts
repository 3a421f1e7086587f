import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MigrationSet, migrationSets } from './migrator.js';

let root: string;
const migration = 'export async function up() {}\n';

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'steadfast-migrations-'));
  for (const [folder, names] of Object.entries({
    core: ['20261124220000-initial.ts', 'README.md'],
    backup: ['20261125020000-backup-drills.ts'],
    replication: ['20261201140000-replication-samples.ts', '20261124220000-initial.ts'],
  })) {
    await mkdir(path.join(root, folder));
    for (const name of names) await writeFile(path.join(root, folder, name), migration);
  }
});
after(() => rm(root, { recursive: true, force: true }));

test("a set gathers its modules' folders and orders the migrations by name, whichever folder holds them", async () => {
  const set = new MigrationSet('platform', [
    path.join(root, 'backup'),
    path.join(root, 'core'),
    path.join(root, 'missing'),
  ]);
  assert.deepEqual(await set.known(), ['20261124220000-initial', '20261125020000-backup-drills']);
  assert.equal(await set.latest(), '20261125020000-backup-drills');
});

test('a migration name found in two folders is refused, naming both', async () => {
  const set = new MigrationSet('platform', [path.join(root, 'core'), path.join(root, 'replication')]);
  await assert.rejects(set.known(), /20261124220000-initial is in both .*core and .*replication/);
});

test("the platform's own folders come first, then each module's, per set", async () => {
  const sets = migrationSets([{ platform: path.join(root, 'backup') }, { tenant: path.join(root, 'missing') }, {}]);
  const platform = await sets.platform.known();
  assert.ok(platform.includes('20261125020000-backup-drills'));
  assert.ok(platform.includes('20261124220000-initial'));
  assert.deepEqual(await sets.tenant.known(), ['20261124220000-initial']);
});
