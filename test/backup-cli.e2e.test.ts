import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliHome, runCli } from './helpers/cli.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
before(async () => {
  setup = await cliHome();
});
after(async () => {
  await setup.remove();
});

test('steadfast backup now, list, verify and restore work from the command line', async () => {
  const created = await runCli(['tenant', 'create', 'acme', '--name', 'Acme'], setup.env);
  assert.equal(created.code, 0, created.stderr);

  const taken = await runCli(['backup', 'now'], setup.env);
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(
    taken.stdout,
    /^Backup \d{8}T\d{6}Z: [\d.]+ MB from PostgreSQL, [\d.]+ MB stored \(compressed, encrypted\) in local/,
  );
  // The key is made by whichever comes first: archiving the WAL of the first command, or the first backup.
  assert.match(created.stderr + taken.stderr, /created a new backup encryption key: copy it somewhere safe/);
  assert.match(taken.stderr, /backing up: \d+\/\d+/, 'progress is shown as plain lines without a terminal');
  assert.equal((await stat(path.join(setup.home, 'backup.key'))).mode & 0o777, 0o600);

  const listed = await runCli(['backup', 'list', '--json'], setup.env);
  const backups = JSON.parse(listed.stdout) as Array<{ record: { id: string }; repositories: string[] }>;
  assert.equal(backups.length, 1);
  assert.deepEqual(backups[0]!.repositories, ['local']);

  const status = await runCli(['status', '--json'], setup.env);
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout);
  assert.equal(report.postgres.running, false, 'status starts nothing');
  assert.equal(report.backups.count, 1);
  assert.equal(report.backups.latest.id, backups[0]!.record.id);
  assert.deepEqual(
    report.backups.repositories.map((r: { name: string }) => r.name),
    ['local'],
  );
  assert.ok(report.warnings.some((w: string) => /PostgreSQL is not running/.test(w)));
  const check = await runCli(['status', '--check'], setup.env);
  assert.equal(check.code, 1, 'something needs attention: Postgres is down');
  assert.match(check.stdout, /Needs attention:/);

  const drill = await runCli(['backup', 'drill'], setup.env);
  assert.equal(drill.code, 0, drill.stdout + drill.stderr);
  assert.match(
    drill.stdout,
    new RegExp(`^Restore drill PASSED in [\\d.]+ s \\(backup ${backups[0]!.record.id} from local\\)`),
  );
  assert.match(drill.stdout, /1 tenant\(s\) identical to the primary; amcheck: 2 database\(s\)/);
  assert.match(drill.stdout, /the restore point reached a repository [\d.]+ s after it was made/);
  assert.match(drill.stderr, /restore drill: .*fingerprinting the primary/, 'each step is shown');

  const unconfirmed = await runCli(['tenant', 'restore', 'acme'], setup.env);
  assert.equal(unconfirmed.code, 1);
  assert.match(
    unconfirmed.stderr,
    /This replaces all data of tenant "acme" .* Run it on a terminal to confirm, or pass --yes/,
  );
  const copied = await runCli(['tenant', 'restore', 'acme', '--into', 'acme-copy', '--json'], setup.env);
  assert.equal(copied.code, 0, copied.stderr);
  assert.deepEqual(
    (({ slug, from, backupId }) => ({ slug, from, backupId }))(
      JSON.parse(copied.stdout) as { slug: string; from: string; backupId: string },
    ),
    { slug: 'acme-copy', from: 'acme', backupId: backups[0]!.record.id },
  );
  const tenants = await runCli(['tenant', 'list', '--json'], setup.env);
  assert.deepEqual(
    JSON.parse(tenants.stdout)
      .map((t: { slug: string }) => t.slug)
      .sort(),
    ['acme', 'acme-copy'],
  );

  const verified = await runCli(['backup', 'verify'], setup.env);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(
    verified.stdout,
    new RegExp(`^OK +${backups[0]!.record.id} in local: \\d+ files and [1-9]\\d* WAL segment\\(s\\) checked`),
  );

  const target = path.join(setup.home, 'restored');
  const restored = await runCli(['backup', 'restore', '--to', target, '--json'], setup.env);
  assert.equal(restored.code, 0, restored.stderr);
  const result = JSON.parse(restored.stdout);
  assert.equal(result.record.id, backups[0]!.record.id);
  assert.match(result.recovery.reachedLsn, /^[0-9A-F]+\/[0-9A-F]+$/, 'recovered and promoted');
  await stat(path.join(target, 'PG_VERSION'));

  const badTime = await runCli(
    ['backup', 'restore', '--to', path.join(setup.home, 'other'), '--time', 'yesterday'],
    setup.env,
  );
  assert.equal(badTime.code, 1);
  assert.match(badTime.stderr, /--time "yesterday" is not a moment with a time zone/);

  const marked = await runCli(['backup', 'mark', 'before-upgrade'], setup.env);
  assert.equal(marked.code, 0, marked.stderr);
  assert.match(marked.stdout, /Restore point "before-upgrade" at WAL position/);

  const again = await runCli(['backup', 'restore', '--to', target], setup.env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /error: Restore target not empty/);

  const noTarget = await runCli(['backup', 'restore'], setup.env);
  assert.equal(noTarget.code, 1);
  assert.match(noTarget.stderr, /required option '--to <dir>'/);
});

test('steadfast backup now --incremental stores the changed files; list, verify and retention show its chain', async () => {
  const [full] = JSON.parse((await runCli(['backup', 'list', '--json'], setup.env)).stdout) as Array<{
    record: { id: string };
  }>;
  const written = await runCli(['tenant', 'create', 'globex', '--name', 'Globex'], setup.env);
  assert.equal(written.code, 0, written.stderr);

  const taken = await runCli(['backup', 'now', '--incremental'], setup.env);
  assert.equal(taken.code, 0, taken.stderr);
  const id = new RegExp(
    `^Incremental backup (\\d{8}T\\d{6}Z) \\(unchanged files kept in ${full!.record.id}\\): [\\d.]+ MB from PostgreSQL`,
  ).exec(taken.stdout)?.[1];
  assert.ok(id, taken.stdout);

  const listed = await runCli(['backup', 'list'], setup.env);
  assert.match(listed.stdout, new RegExp(`${id} +incremental \\(needs ${full!.record.id}\\)`));
  assert.match(listed.stdout, new RegExp(`${full!.record.id} +full`));

  const verified = await runCli(['backup', 'verify'], setup.env);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, new RegExp(`^OK +${id} in local: \\d+ files \\(and \\d+ kept in its chain`));

  // Both were taken today: the policy keeps only the newer, and the chain keeps the full one.
  const retention = await runCli(['backup', 'retention', '--dry-run'], setup.env);
  assert.equal(retention.code, 0, retention.stderr);
  assert.match(
    retention.stdout,
    new RegExp(`keeps ${full!.record.id} beyond its policy: incremental backup\\(s\\) ${id} need its files`),
  );
  assert.match(retention.stdout, /would remove 0 backup\(s\)/);
});
