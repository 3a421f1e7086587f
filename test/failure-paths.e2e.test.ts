import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { segmentOf } from '../src/platform/postgres/lsn.js';
import { ensurePostgresOsUser, isRoot } from '../src/platform/postgres/os-user.js';
import { cliHome, homeEnv, runCli, startUp } from './helpers/cli.js';
import { getWithHost } from './helpers/http.js';

/*
 * The failure paths of a whole-cluster restore from the command line, and the path from a
 * restored directory to a running platform, as an operator meets them.
 */

let setup: Awaited<ReturnType<typeof cliHome>>;
let elsewhere: string;
before(async () => {
  setup = await cliHome();
  elsewhere = await mkdtemp(path.join(tmpdir(), 'steadfast-restore-'));
  await chmod(elsewhere, 0o755);
  const created = await runCli(['tenant', 'create', 'acme', '--name', 'Acme'], setup.env);
  assert.equal(created.code, 0, created.stderr);
  const taken = await runCli(['backup', 'now'], setup.env);
  assert.equal(taken.code, 0, taken.stderr);
});
after(async () => {
  await setup.remove();
  await rm(elsewhere, { recursive: true, force: true });
});

test(
  'as root, a directory the PostgreSQL user cannot pass is refused before anything is fetched, and nothing is left in it',
  { skip: !isRoot() && 'only root runs PostgreSQL as another OS user' },
  async () => {
    const closed = path.join(elsewhere, 'closed');
    await mkdir(closed, { mode: 0o700 });
    const restored = await runCli(['backup', 'restore', '--to', path.join(closed, 'postgres', 'data')], setup.env);
    assert.equal(restored.code, 1);
    assert.match(
      restored.stderr,
      /The PostgreSQL user "[\w-]+" could not reach .*closed\/postgres\/data: .*closed is not searchable for it.* run "chmod o\+x /,
    );
    assert.doesNotMatch(restored.stderr, /restoring:/, 'refused before any download');
    assert.deepEqual(await readdir(closed), []);
  },
);

test('a restore into a new home leaves a directory that starts as it is, says how, and "up" then serves its tenants', async () => {
  const newHome = path.join(elsewhere, 'new-home');
  const dataDir = path.join(newHome, 'postgres', 'data');
  const restored = await runCli(['backup', 'restore', '--to', dataDir], setup.env);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(
    restored.stdout,
    new RegExp(
      `Next: to serve it, copy secret.key and backup.key from the old home into ${newHome} .*then run: STEADFAST_HOME=${newHome} steadfast up\n$`,
    ),
  );
  assert.doesNotMatch(restored.stderr, /not accepting connections|starting up/, 'expected waits are not warnings');
  const runAs = await ensurePostgresOsUser('steadfast-pg');
  const parent = await stat(path.join(newHome, 'postgres'));
  assert.equal(parent.mode & 0o777, 0o700, 'prepared as "up" prepares <home>/postgres');
  if (runAs) assert.equal(parent.uid, runAs.uid, 'owned by the PostgreSQL user, who must reach its data');
  const conf = await readFile(path.join(dataDir, 'steadfast.conf'), 'utf8');
  assert.doesNotMatch(conf, /restore_command|steadfast-recovery-/, 'nothing of the recovery run is left');
  assert.match(await readFile(path.join(dataDir, 'pg_hba.conf'), 'utf8'), /scram-sha-256/);

  for (const file of ['secret.key', 'backup.key'])
    await copyFile(path.join(setup.home, file), path.join(newHome, file));
  const env = await homeEnv(newHome);
  const up = await startUp(env);
  try {
    const tenants = await runCli(['tenant', 'list', '--json'], env);
    assert.equal(tenants.code, 0, tenants.stderr);
    assert.deepEqual(
      JSON.parse(tenants.stdout).map((tenant: { slug: string }) => tenant.slug),
      ['acme'],
    );
    const answer = await getWithHost(Number(env.PORT), '/api/v1/tenant', `acme.localhost:${env.PORT}`);
    assert.equal(answer.status, 200, answer.body);
  } finally {
    assert.equal(await up.stop(), 0, up.output());
  }
});

test('"status --check" fails at once while a repository cannot take WAL, and says which and why', async () => {
  const own = await cliHome();
  try {
    const broken = path.join(own.home, 'broken-repository');
    await writeFile(broken, 'a file where a directory should be: every write fails');
    const env = {
      ...own.env,
      STEADFAST_BACKUP_REPOSITORIES: JSON.stringify([
        { name: 'local', type: 'fs', path: 'backups' },
        { name: 'broken', type: 'fs', path: broken },
      ]),
    };
    const up = await startUp(env);
    try {
      let check = await runCli(['status', '--check'], env);
      for (let i = 0; i < 100 && !/WAL archiving to repository broken/.test(check.stdout); i++) {
        await sleep(100);
        check = await runCli(['status', '--check'], env);
      }
      assert.equal(check.code, 1, check.stdout + check.stderr);
      assert.match(
        check.stdout,
        /WAL archiving to repository broken has been failing for (less than a minute|\d+ minute\(s\)) \(since [^)]+\): .*broken-repository/,
      );
      assert.doesNotMatch(check.stdout, /All is well/);
    } finally {
      assert.equal(await up.stop(), 0, up.output());
    }
  } finally {
    await own.remove();
  }
});

test('"backup verify" fails while an archived WAL segment the latest backup needs is truncated, naming it, and a restore of that backup reads its own copy', async () => {
  const listed = await runCli(['backup', 'list', '--json'], setup.env);
  const [latest] = (JSON.parse(listed.stdout) as Array<{ record: { startLsn: string; timeline: number } }>).slice(-1);
  const segment = segmentOf(latest!.record.startLsn, latest!.record.timeline);
  const walDir = path.join(setup.home, 'backups', 'wal');
  const stored = (await readdir(walDir, { recursive: true })).find(
    (name) => path.basename(name) === `${segment}.sealed`,
  );
  assert.ok(stored, `segment ${segment} was archived`);
  const file = path.join(walDir, stored);
  const intact = await readFile(file);
  await writeFile(file, intact.subarray(0, Math.floor(intact.length / 3)));
  try {
    const verified = await runCli(['backup', 'verify'], setup.env);
    assert.equal(verified.code, 1, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^FAILED /);
    assert.match(verified.stdout, new RegExp(`could not read WAL ${segment} from repository local: .*truncated`, 'i'));
    assert.match(
      verified.stdout,
      /This backup carries its own copy of it, but a restore from an older backup would stop there/,
    );
    // Recovery reads the copy the backup carries in pg_wal instead of stopping at the damaged archive.
    const restored = await runCli(
      ['backup', 'restore', '--to', path.join(elsewhere, 'own-copy', 'postgres', 'data')],
      setup.env,
    );
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(restored.stdout, /Recovered to WAL position/);
  } finally {
    await writeFile(file, intact);
  }
  const again = await runCli(['backup', 'verify'], setup.env);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^OK +\S+ in local: \d+ files and [1-9]\d* WAL segment\(s\) checked/);
});

test('with the latest backup damaged in every repository, restore falls back to the next older one and replays the WAL from it; with its id, it names that older one', async () => {
  const created = await runCli(['tenant', 'create', 'globex', '--name', 'Globex'], setup.env);
  assert.equal(created.code, 0, created.stderr);
  const taken = await runCli(['backup', 'now', '--json'], setup.env);
  assert.equal(taken.code, 0, taken.stderr);
  const listed = JSON.parse((await runCli(['backup', 'list', '--json'], setup.env)).stdout) as Array<{
    record: { id: string };
  }>;
  const [older, newer] = listed.slice(-2).map((listing) => listing.record.id);
  const backupsDir = path.join(setup.home, 'backups');
  const base = (await readdir(backupsDir, { recursive: true })).find(
    (name) => name.includes(newer!) && name.endsWith('base.tar.sealed'),
  );
  assert.ok(base, `backup ${newer} has a base archive`);
  const file = path.join(backupsDir, base);
  const intact = await readFile(file);
  const damaged = Buffer.from(intact);
  const middle = damaged.length >> 1;
  damaged[middle] = damaged[middle]! ^ 0xff;
  await writeFile(file, damaged);
  try {
    const byId = await runCli(['backup', 'restore', newer!, '--to', path.join(elsewhere, 'by-id')], setup.env);
    assert.equal(byId.code, 1, byId.stdout);
    assert.match(
      byId.stderr,
      new RegExp(
        `Backup ${newer} could not be restored from any repository: local: .* The next older backup is ${older} \\(finished [^)]+\\): "steadfast backup restore ${older} --to <dir>" restores it\\. The target directory was left empty\\.`,
      ),
    );

    const newHome = path.join(elsewhere, 'fallback-home');
    const restored = await runCli(['backup', 'restore', '--to', path.join(newHome, 'postgres', 'data')], setup.env);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(
      restored.stdout,
      new RegExp(
        `^warning: backup ${newer} could not be restored from any repository \\(local: .*\\); restored the older backup ${older} and replayed the WAL from it\\. Run "steadfast backup verify ${newer}"`,
      ),
    );
    assert.match(restored.stdout, new RegExp(`Restored backup ${older} from local`));
    for (const key of ['secret.key', 'backup.key']) await copyFile(path.join(setup.home, key), path.join(newHome, key));
    const env = await homeEnv(newHome);
    const up = await startUp(env);
    try {
      const tenants = await runCli(['tenant', 'list', '--json'], env);
      assert.deepEqual(
        JSON.parse(tenants.stdout)
          .map((tenant: { slug: string }) => tenant.slug)
          .sort(),
        ['acme', 'globex'],
        'globex, made after the older backup, came back through the WAL',
      );
    } finally {
      assert.equal(await up.stop(), 0, up.output());
    }
  } finally {
    await writeFile(file, intact);
  }
});
