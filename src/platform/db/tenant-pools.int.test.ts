import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { buildTenant } from '../../../test/helpers/factories.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';

let platform: TestPlatform;

before(async () => {
  platform = await createTestPlatform({ tenantPoolMaxConnections: 2, tenantPoolsMaxConnections: 6 });
});
after(async () => {
  await platform.destroy();
});

test('many busy tenants share the global connection cap instead of exhausting the server', async () => {
  const tenants = [];
  for (let i = 0; i < 8; i++) tenants.push(await buildTenant(platform));
  const prefix = `${platform.database.platformDatabase}_t_`;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE starts_with(usename, ${prefix})`.execute(platform.db);
      peak = Math.max(peak, rows[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  // Two queries per tenant at once, each holding its connection for 150 ms.
  await Promise.all(
    tenants.flatMap((tenant) =>
      [1, 2].map(() => platform.tenancy.withDatabase(tenant.slug, (db) => sql`SELECT pg_sleep(0.15)`.execute(db))),
    ),
  );
  sampling = false;
  await sampler;
  assert.ok(peak >= 4, `the sampler saw only ${peak} connections; it did not watch the burst`);
  assert.ok(peak <= 6, `tenant connections peaked at ${peak}, above the cap of 6`);
  assert.equal(platform.tenantPools.stats().pools, 3);
});
