import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPostmasterPid } from '../src/platform/postgres/data-dir.js';
import { cliHome, runCli, startUp } from './helpers/cli.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
before(async () => {
  setup = await cliHome();
});
after(async () => {
  await setup.remove();
});

test('when Postgres is killed, steadfast up logs it, restarts it and serves again', async () => {
  const up = await startUp(setup.env);
  try {
    const dataDir = path.join(setup.home, 'postgres', 'data');
    const before = (await readPostmasterPid(dataDir))!;
    process.kill(before.pid, 'SIGKILL');
    let ready = false;
    for (let i = 0; i < 200 && !ready; i++) {
      await sleep(50);
      const response = await fetch(`http://127.0.0.1:${setup.httpPort}/readyz`).catch(() => undefined);
      const after = await readPostmasterPid(dataDir);
      ready = response?.status === 200 && after !== undefined && after.pid !== before.pid;
    }
    assert.ok(ready, `not ready again after the crash:\n${up.output()}`);
    // Serving may resume a moment before the supervisor's own log line is written.
    for (let i = 0; i < 100 && !/PostgreSQL restarted after a crash/.test(up.output()); i++) await sleep(50);
    assert.match(up.output(), /PostgreSQL exited unexpectedly; restarting it/);
    assert.match(up.output(), /PostgreSQL restarted after a crash/);
    const list = await runCli(['tenant', 'list', '--json'], setup.env);
    assert.deepEqual(
      JSON.parse(list.stdout).map((t: { slug: string }) => t.slug),
      ['demo'],
    );
  } finally {
    assert.equal(await up.stop(), 0, up.output());
  }
});
