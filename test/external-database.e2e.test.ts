import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { toUrl } from '../src/platform/db/connect.js';
import { cliHome, runCli, startUp } from './helpers/cli.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

let platform: TestPlatform;
let setup: Awaited<ReturnType<typeof cliHome>>;
before(async () => {
  platform = await createTestPlatform();
  setup = await cliHome();
});
after(async () => {
  await platform.destroy();
  await setup.remove();
});

test('with DATABASE_URL, steadfast up embeds nothing and keeps tenants in that server', async () => {
  const env = {
    ...setup.env,
    DATABASE_URL: toUrl(platform.database.admin),
    STEADFAST_SECRET_KEY: platform.database.secretKey,
  };
  const up = await startUp(env);
  try {
    const created = await runCli(['tenant', 'create', 'beta', '--name', 'Beta', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).databaseName, `${platform.database.platformDatabase}_t_beta`);
    const response = await fetch(`http://127.0.0.1:${setup.httpPort}/readyz`);
    assert.equal(response.status, 200);
  } finally {
    assert.equal(await up.stop(), 0, up.output());
  }
  await assert.rejects(access(path.join(setup.home, 'postgres')), /ENOENT/, 'an embedded data directory was created');
  assert.equal((await platform.tenancy.get('beta')).status, 'active');
});
