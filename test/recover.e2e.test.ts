import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { homeEnv, runCli, startUp } from './helpers/cli.js';
import { getWithHost } from './helpers/http.js';

/**
 * Disaster recovery of the whole platform on real embedded PostgreSQL: a platform with a
 * workspace and writes after its last backup is lost (its home deleted); a fresh home on this
 * machine (another directory, other ports) runs `steadfast recover` with the repository and the
 * backup key alone, and `steadfast up` serves the workspace with everything acknowledged and
 * archived; the lost cluster's objects in the repository are untouched. Then the same with the
 * lost home's secret.key kept.
 */

let root: string;
let repository: string;
const keys = { backup: '', secret: '' };

const repositories = (dir: string) => JSON.stringify([{ name: 'shared', type: 'fs', path: dir }]);

async function home(name: string): Promise<Record<string, string>> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await chmod(dir, 0o755);
  return { ...(await homeEnv(dir)), STEADFAST_BACKUP_REPOSITORIES: repositories(repository), LOG_LEVEL: 'warn' };
}

/** Every object in the repository and a hash of its bytes. */
async function objects(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of (await readdir(dir, { recursive: true })) as string[]) {
    const file = path.join(dir, entry);
    const bytes = await readFile(file).catch(() => undefined); // a directory
    if (bytes) found.set(entry, createHash('sha256').update(bytes).digest('hex'));
  }
  return found;
}

const ok = (result: { code: number | null; stdout: string; stderr: string }, what: string) =>
  assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);

let lostObjects: Map<string, string>;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'steadfast-recover-'));
  await chmod(root, 0o755);
  repository = path.join(root, 'repository');
  // The platform that will be lost: a workspace, a person added before the backup and one after.
  const lost = await home('lost');
  const up = await startUp(lost);
  try {
    ok(await runCli(['tenant', 'create', 'acme', '--name', 'Acme Rockets'], lost), 'tenant create');
    ok(await runCli(['user', 'add', 'acme', 'before@example.com'], lost), 'user add');
    ok(await runCli(['backup', 'now'], lost), 'backup now');
    ok(await runCli(['user', 'add', 'acme', 'after@example.com'], lost), 'user add after the backup');
    // Acknowledged and archived: a restore point is archived at once.
    ok(await runCli(['backup', 'mark', 'after-the-backup'], lost), 'backup mark');
  } finally {
    await up.stop();
  }
  keys.backup = path.join(root, 'kept-backup.key');
  keys.secret = path.join(root, 'kept-secret.key');
  await copyFile(path.join(lost.STEADFAST_HOME!, 'backup.key'), keys.backup);
  await copyFile(path.join(lost.STEADFAST_HOME!, 'secret.key'), keys.secret);
  await rm(lost.STEADFAST_HOME!, { recursive: true, force: true });
  lostObjects = await objects(repository);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('recover on a new home from the repository and the backup key alone, then up serves every workspace', async () => {
  const fresh = await home('fresh');
  const recovered = await runCli(['recover', '--key-file', keys.backup], fresh);
  ok(recovered, 'recover');
  assert.match(recovered.stdout, /^Recovered the platform from backup \d{8}T\d{6}Z in shared in [\d.]+ s: /);
  assert.match(recovered.stdout, /Everything committed up to \d{4}-\d\d-\d\dT[\d:.]+Z is back .*timeline [2-9]/);
  assert.match(recovered.stdout, /This home has a new secret key: every database role’s password was reset to it\./);
  assert.match(
    recovered.stdout,
    /The first backup of the new timeline is queued: `steadfast up` takes it while it already serves\./,
  );
  assert.match(recovered.stderr, /recover: restoring the latest backup/, 'each step is shown');
  assert.match(recovered.stderr, /recovering: \d+\/\d+/, 'and progress');

  const again = await runCli(['recover', '--key-file', keys.backup], fresh);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /This home already has a database at .*Recover into a new, empty home/);

  const up = await startUp(fresh);
  try {
    const members = await runCli(['user', 'list', 'acme'], fresh);
    ok(members, 'user list');
    assert.match(members.stdout, /after@example\.com/, 'written after the last backup, and archived: back');
    assert.match(members.stdout, /before@example\.com/);
    const workspace = await getWithHost(Number(fresh.PORT), '/api/v1/tenant', `acme.localhost:${fresh.PORT}`);
    assert.equal(workspace.status, 200, workspace.body);
    assert.equal(JSON.parse(workspace.body).name, 'Acme Rockets');
    // The queued first backup: taken on the new timeline while the platform serves.
    const newTimeline = async () => {
      const listed = await runCli(['backup', 'list', '--json'], fresh);
      const backups = JSON.parse(listed.stdout) as { record: { timeline: number } }[];
      return backups.some((backup) => backup.record.timeline > 1);
    };
    for (let i = 0; i < 120 && !(await newTimeline()); i++) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(await newTimeline(), 'a backup of the new timeline is in the repository');
  } finally {
    await up.stop();
  }
  const now = await objects(repository);
  for (const [key, hash] of lostObjects) assert.equal(now.get(key), hash, `${key} of the lost cluster is untouched`);
  assert.ok(
    [...now.keys()].some((key) => /^wal\/[0-9A-F]{8}\.history\.sealed$/.test(key) && !lostObjects.has(key)),
    "the new timeline's history is archived: a later recovery picks another",
  );
});

test("with the lost home's secret.key kept, recover keeps it and everything opens as before", async () => {
  const kept = await home('kept');
  const recovered = await runCli(
    ['recover', '--key-file', keys.backup, '--secret-key-file', keys.secret, '--backup-first', '--json'],
    kept,
  );
  ok(recovered, 'recover');
  const result = JSON.parse(recovered.stdout) as {
    secretKey: string;
    tenants: number;
    firstBackup: { id: string; repositories: string[] };
  };
  assert.equal(result.secretKey, 'kept');
  assert.deepEqual(result.firstBackup.repositories, ['shared'], 'taken before recover ended (--backup-first)');
  assert.ok(result.tenants >= 1);
  assert.equal(
    (await readFile(path.join(kept.STEADFAST_HOME!, 'secret.key'), 'utf8')).trim(),
    (await readFile(keys.secret, 'utf8')).trim(),
  );
  const members = await runCli(['user', 'list', 'acme'], kept);
  ok(members, 'user list');
  assert.match(members.stdout, /after@example\.com/);
});
