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

test('many tenants share the global connection cap instead of exhausting the server', async () => {
  const tenants = [];
  for (let i = 0; i < 8; i++) tenants.push(await buildTenant(platform));
  const prefix = `${platform.database.platformDatabase}_t_`;
  const tenantConnections = async (): Promise<number> => {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE starts_with(usename, ${prefix})`.execute(platform.db);
    return rows[0]!.n;
  };
  let peak = 0;
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      tenants.map(async (tenant) => {
        const db = await platform.tenancy.database(tenant.slug);
        await sql`SELECT pg_sleep(0.01)`.execute(db);
      }),
    );
    peak = Math.max(peak, await tenantConnections());
  }
  assert.ok(peak <= 6, `tenant connections peaked at ${peak}, above the cap of 6`);
  assert.equal(platform.tenantPools.stats().pools, 3);
});
