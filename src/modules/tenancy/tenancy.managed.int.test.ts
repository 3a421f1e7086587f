import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { derivePassword } from '../../platform/crypto/secrets.js';
import { withClient } from '../../platform/db/connect.js';
import { buildTenant, testOperator } from '../../../test/helpers/factories.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';

// An external PostgreSQL whose administrator is not a superuser, as managed services offer.
let platform: TestPlatform;

before(async () => {
  platform = await createTestPlatform({}, { nonSuperuserAdmin: true });
});
after(async () => {
  await platform.destroy();
});

test('the platform runs with an administrator that may only create databases and roles', async () => {
  const { rows } = await sql<{ su: boolean }>`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`.execute(
    platform.db,
  );
  assert.equal(rows[0]!.su, false);

  const a = await buildTenant(platform);
  const b = await buildTenant(platform);
  await platform.tenancy.withDatabase(a.slug, (db) =>
    db
      .insertInto('settings')
      .values({ key: 'k', value: JSON.stringify(1) })
      .execute(),
  );

  const intruder = new pg.Client({
    ...platform.superuser,
    user: a.databaseName,
    password: derivePassword(platform.database.secretKey, a.databaseName),
    database: b.databaseName,
  });
  await assert.rejects(intruder.connect(), /permission denied for database/);

  await platform.tenancy.suspend(testOperator, a.slug, 'test');
  await platform.tenancy.resume(testOperator, a.slug);
  await platform.tenancy.delete(testOperator, a.slug);
  const gone = await withClient(platform.superuser, (client) =>
    client.query('SELECT 1 FROM pg_database WHERE datname = $1', [a.databaseName]),
  );
  assert.equal(gone.rows.length, 0);
});
