import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrations } from '../src/app/modules.js';
import { isProcessAlive, readPostmasterPid } from '../src/platform/postgres/data-dir.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { cliHome, runCli, startUp } from './helpers/cli.js';
import { getWithHost as get, sendWithHost } from './helpers/http.js';

const dataDirOf = (home: string): string => path.join(home, 'postgres', 'data');

async function waitUntilDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await sleep(50);
  return !isProcessAlive(pid);
}

describe('steadfast up and the operator commands', () => {
  let setup: Awaited<ReturnType<typeof cliHome>>;
  before(async () => {
    setup = await cliHome();
  });
  after(async () => {
    await setup.remove();
  });

  test('serves the demo tenant, manages tenants while running, and stops cleanly on SIGTERM', async () => {
    const up = await startUp(setup.env);
    let postgresPid: number | undefined;
    try {
      assert.match(up.output(), new RegExp(`Open http://demo\\.localhost:${setup.httpPort}`));
      postgresPid = (await readPostmasterPid(dataDirOf(setup.home)))?.pid;
      assert.ok(postgresPid && isProcessAlive(postgresPid));

      const ready = await get(setup.httpPort, '/readyz', 'localhost');
      assert.equal(ready.status, 200);
      assert.equal(JSON.parse(ready.body).status, 'ready');
      const demo = await get(setup.httpPort, '/', `demo.localhost:${setup.httpPort}`);
      assert.equal(demo.status, 200);
      assert.match(demo.body, /Demo workspace/);

      // The first start's owner: a one-time link on the terminal, never in a log line.
      assert.match(up.output(), /First start: the demo workspace's owner is owner@example\.com/);
      const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(up.output())?.[1];
      assert.ok(token, up.output());
      assert.equal(up.output().split(token).length, 2, 'the link appears once: in the banner, not in a log line');
      const demoHost = `demo.localhost:${setup.httpPort}`;
      const chosen = await sendWithHost(setup.httpPort, {
        method: 'POST',
        url: '/api/v1/password-resets/complete',
        host: demoHost,
        body: { token, password: 'a demo passphrase to remember' },
      });
      assert.equal(chosen.status, 204, chosen.body);
      const signIn = (password: string) =>
        sendWithHost(setup.httpPort, {
          method: 'POST',
          url: '/api/v1/session',
          host: demoHost,
          body: { email: 'owner@example.com', password },
        });
      assert.equal((await signIn('a demo passphrase to remember')).status, 200);
      const again = await runCli(['user', 'link', 'demo', 'owner@example.com', '--hours', '2'], setup.env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /within 2 hours/);
      const newToken = /#token=([A-Za-z0-9_-]+)/.exec(again.stdout)![1];
      const reset = await sendWithHost(setup.httpPort, {
        method: 'POST',
        url: '/api/v1/password-resets/complete',
        host: demoHost,
        body: { token: newToken, password: 'another demo passphrase' },
      });
      assert.equal(reset.status, 204, reset.body);
      assert.equal((await signIn('another demo passphrase')).status, 200);
      const nobody = await runCli(['user', 'link', 'demo', 'nobody@example.com'], setup.env);
      assert.equal(nobody.code, 1);
      assert.match(nobody.stderr, /demo has no member nobody@example.com/);

      // Without PORT: the address shown must come from the running server, not the default 8080.
      const { PORT: _port, ...withoutPort } = setup.env;
      const created = await runCli(['tenant', 'create', 'acme', '--name', 'Acme Inc.'], withoutPort);
      assert.equal(created.code, 0, created.stderr);
      assert.match(
        created.stdout,
        new RegExp(`Created tenant acme \\("Acme Inc\\."\\): http://acme\\.localhost:${setup.httpPort}`),
      );
      const acme = await get(setup.httpPort, '/api/v1/tenant', `acme.localhost:${setup.httpPort}`);
      assert.deepEqual(JSON.parse(acme.body), { slug: 'acme', name: 'Acme Inc.', status: 'active' });
      const added = await runCli(['user', 'add', 'acme', 'ada@example.com', '--role', 'owner'], withoutPort);
      assert.equal(added.code, 0, added.stderr);
      assert.match(
        added.stdout,
        new RegExp(
          `Added ada@example.com to acme as owner[^]*http://acme\\.localhost:${setup.httpPort}/reset-password#token=`,
        ),
      );
      const members = await runCli(['user', 'list', 'acme', '--json'], setup.env);
      assert.deepEqual(
        JSON.parse(members.stdout).map((m: { email: string; role: string }) => [m.email, m.role]),
        [['ada@example.com', 'owner']],
      );

      // The first member of staff: a one-time setup link on the console's host, never a password.
      const staff = await runCli(['staff', 'create', 'Ops@Example.com', '--name', 'Ops'], withoutPort);
      assert.equal(staff.code, 0, staff.stderr);
      assert.match(staff.stdout, new RegExp(`http://console\\.localhost:${setup.httpPort}/setup#token=`));
      const setupToken = /#token=([A-Za-z0-9_-]+)/.exec(staff.stdout)![1];
      const opened = await sendWithHost(setup.httpPort, {
        method: 'POST',
        url: '/api/v1/console/setup/open',
        host: `console.localhost:${setup.httpPort}`,
        body: { token: setupToken },
      });
      assert.equal(opened.status, 200, opened.body);
      assert.equal(JSON.parse(opened.body).email, 'ops@example.com');
      const twice = await runCli(['staff', 'create', 'ops@example.com'], setup.env);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /already a staff account for ops@example.com[^]*steadfast staff link ops@example.com/);
      const staffList = await runCli(['staff', 'list', '--json'], setup.env);
      assert.deepEqual(
        JSON.parse(staffList.stdout).map((s: { email: string; status: string }) => [s.email, s.status]),
        [['ops@example.com', 'setup']],
      );
      assert.equal((await runCli(['staff', 'disable', 'ops@example.com'], setup.env)).code, 0);
      const renewed = await runCli(['staff', 'link', 'ops@example.com'], setup.env);
      assert.match(renewed.stdout, /sets a password and an authenticator app here/);

      // The operator port: metrics read at scrape time, on loopback, apart from the tenant-facing port.
      const { operatorPort } = JSON.parse(await readFile(path.join(setup.home, 'instance.json'), 'utf8')) as {
        operatorPort: number;
      };
      assert.ok(operatorPort > 0 && operatorPort !== setup.httpPort);
      const metrics = await get(operatorPort, '/metrics', 'localhost');
      assert.equal(metrics.status, 200);
      for (const line of [
        'steadfast_postgres_up 1',
        'steadfast_tenants{status="active"} 2',
        'steadfast_backup_ok 0',
        'steadfast_drill_ok 0',
        'steadfast_wal_spool_files ',
      ]) {
        assert.ok(metrics.body.includes(line), `/metrics has "${line}":\n${metrics.body}`);
      }
      assert.match(metrics.body, /^steadfast_backups\{repository="local"\} 0$/m);
      const notMetrics = await get(operatorPort, '/api/v1/tenant', `acme.localhost:${operatorPort}`);
      assert.equal(notMetrics.status, 404, 'tenant routes are not served on the operator port');
      assert.equal(JSON.parse(notMetrics.body).status, 404);

      const duplicate = await runCli(['tenant', 'create', 'acme', '--name', 'Again'], setup.env);
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /error: Tenant slug already taken: A tenant with the slug "acme" already exists/);

      const invalid = await runCli(['tenant', 'create', 'www', '--name', 'W'], setup.env);
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, /"www" is reserved/);

      const unconfirmed = await runCli(['tenant', 'delete', 'demo'], setup.env);
      assert.equal(unconfirmed.code, 1);
      assert.match(unconfirmed.stderr, /pass --yes/);

      const suspended = await runCli(['tenant', 'suspend', 'acme', '--reason', 'maintenance'], setup.env);
      assert.equal(suspended.code, 0, suspended.stderr);
      assert.equal((await get(setup.httpPort, '/api/v1/tenant', `acme.localhost:${setup.httpPort}`)).status, 423);
      assert.equal((await runCli(['tenant', 'resume', 'acme'], setup.env)).code, 0);

      const deleted = await runCli(['tenant', 'delete', 'demo', '--yes'], setup.env);
      assert.equal(deleted.code, 0, deleted.stderr);
      const list = await runCli(['tenant', 'list', '--json'], setup.env);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((t: { slug: string; status: string }) => [t.slug, t.status]),
        [['acme', 'active']],
      );
    } finally {
      assert.equal(await up.stop('SIGTERM'), 0, up.output());
    }
    assert.ok(await waitUntilDead(postgresPid!), 'Postgres is still running after steadfast stopped');
    assert.equal(await readPostmasterPid(dataDirOf(setup.home)), undefined);
  });

  test('a second start reuses the data and does not recreate a deleted demo tenant; a start beside a running one says that one runs', async () => {
    const up = await startUp(setup.env);
    try {
      const list = await runCli(['tenant', 'list', '--json'], setup.env);
      assert.deepEqual(
        JSON.parse(list.stdout).map((t: { slug: string }) => t.slug),
        ['acme'],
      );
      // Its ports are taken too, but by itself: the running Steadfast is the news, not the port.
      const twice = await runCli(['up'], setup.env);
      assert.equal(twice.code, 1, twice.stdout);
      assert.match(twice.stderr, /Steadfast \(pid \d+, HTTP port \d+\) is already running on .*\. Stop it first/);
      assert.doesNotMatch(twice.stderr, /Port in use/);
    } finally {
      assert.equal(await up.stop('SIGINT'), 0, up.output());
    }
  });

  test('tenant commands start the embedded Postgres themselves when nothing runs, and stop it after', async () => {
    const list = await runCli(['tenant', 'list'], setup.env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /acme\s+Acme Inc\.\s+active/);
    const migrate = await runCli(['migrate', '--json'], setup.env);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.deepEqual(JSON.parse(migrate.stdout), {
      latest: await migrations.tenant.latest(),
      migrated: [],
      failed: [],
      alreadyCurrent: 1,
    });
    const audit = await runCli(['audit', 'verify', 'acme', '--json'], setup.env);
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(JSON.parse(audit.stdout), { tenant: 'acme', entries: 2 }); // ada added, her link issued
    const outbox = await runCli(['mail', 'outbox'], setup.env);
    assert.equal(outbox.code, 0, outbox.stderr);
    assert.match(outbox.stdout, /The outbox is empty/);
    assert.deepEqual(JSON.parse((await runCli(['mail', 'outbox', '--json'], setup.env)).stdout), []);
    const badLimit = await runCli(['mail', 'outbox', '--limit', 'lots'], setup.env);
    assert.equal(badLimit.code, 1);
    assert.match(badLimit.stderr, /--limit.*It must be a whole number from 1 to 1000/);
    const unknown = await runCli(['audit', 'verify', 'nobody-here'], setup.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no workspace at "nobody-here"/);
    assert.equal(await readPostmasterPid(dataDirOf(setup.home)), undefined);
  });

  test('if steadfast is killed with SIGKILL, its Postgres does not outlive it', async () => {
    const up = await startUp(setup.env);
    const postgresPid = (await readPostmasterPid(dataDirOf(setup.home)))!.pid;
    await up.stop('SIGKILL');
    assert.ok(await waitUntilDead(postgresPid), 'Postgres was orphaned');
  });
});

describe('steadfast refuses bad starts with a clear message', () => {
  for (const which of ['HTTP', 'operator'] as const) {
    test(`an occupied ${which} port is refused before anything starts: no PostgreSQL, no data directory, named as the ${which} port`, async () => {
      const setup = await cliHome();
      const port = which === 'HTTP' ? setup.httpPort : await findFreePort();
      const env = which === 'HTTP' ? setup.env : { ...setup.env, STEADFAST_OPERATOR_PORT: String(port) };
      const blocker = createServer().listen(port, '127.0.0.1');
      await once(blocker, 'listening');
      try {
        const result = await runCli(['up'], env);
        assert.equal(result.code, 1);
        const setting = which === 'HTTP' ? 'PORT' : 'STEADFAST_OPERATOR_PORT';
        const label = which === 'HTTP' ? 'HTTP port' : 'operator port \\(/metrics\\)';
        assert.match(
          result.stderr,
          new RegExp(
            `Port in use: The ${label} ${port} is already in use by another program.* ${setting}=${port + 1} `,
          ),
        );
        assert.doesNotMatch(result.stderr, /HTTP port in use/);
        assert.doesNotMatch(result.stdout + result.stderr, /PostgreSQL is ready|demo tenant/);
        await assert.rejects(
          stat(dataDirOf(setup.home)),
          { code: 'ENOENT' },
          'initdb ran for a start that could not serve',
        );
      } finally {
        blocker.close();
        await setup.remove();
      }
    });
  }

  test('a config file with unknown and mistyped keys lists every problem and starts nothing', async () => {
    const setup = await cliHome();
    try {
      const file = path.join(setup.home, 'steadfast.config.json');
      await writeFile(file, JSON.stringify({ httpPort: 'eighty', baseDomian: 'example.com' }));
      const { PORT: _port, ...env } = setup.env;
      const result = await runCli(['up', '--config', file], env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /The configuration has 2 problem\(s\)/);
      assert.match(result.stderr, /unknown key "baseDomian".*did you mean "baseDomain"/);
      assert.match(result.stderr, /httpPort \(PORT\)/);
      assert.equal(await readPostmasterPid(dataDirOf(setup.home)), undefined);
    } finally {
      await setup.remove();
    }
  });

  test('every command has --help', async () => {
    for (const args of [
      ['--help'],
      ['up', '--help'],
      ['tenant', 'create', '--help'],
      ['tenant', 'delete', '--help'],
      ['migrate', '--help'],
    ]) {
      const result = await runCli(args, {});
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /Usage: steadfast/);
    }
    const create = await runCli(['tenant', 'create', '--help'], {});
    assert.match(create.stdout, /--name <name>/);
  });
});
