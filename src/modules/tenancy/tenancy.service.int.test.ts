import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { derivePassword } from '../../platform/crypto/secrets.js';
import { withClient } from '../../platform/db/connect.js';
import { AppError } from '../../platform/errors.js';
import { buildTenant, testOperator, uniqueSlug } from '../../../test/helpers/factories.js';
import { countRows, createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { migrations } from '../../app/modules.js';
import { TenantProvisioner } from './tenancy.provisioner.js';
import { TenancyRepository } from './tenancy.repository.js';
import { activeSeenMs, TenancyService } from './tenancy.service.js';

let platform: TestPlatform;

before(async () => {
  platform = await createTestPlatform();
});
after(async () => {
  await platform.destroy();
});

async function clusterHas(kind: 'database' | 'role', name: string): Promise<boolean> {
  const query =
    kind === 'database' ? 'SELECT 1 FROM pg_database WHERE datname = $1' : 'SELECT 1 FROM pg_roles WHERE rolname = $1';
  return withClient(platform.superuser, async (client) => (await client.query(query, [name])).rows.length === 1);
}

async function connectAs(role: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({
    ...platform.superuser,
    user: role,
    password: derivePassword(platform.database.secretKey, role),
    database,
  });
  await client.connect();
  return client;
}

/** A provisioner of the test platform's cluster whose steps a test may replace. */
function ownProvisioner(): TenantProvisioner {
  return new TenantProvisioner({
    admin: platform.db,
    cluster: platform.database.admin,
    secretKey: platform.database.secretKey,
    platformDatabase: platform.database.platformDatabase,
    connectionLimit: 32,
    tenantMigrations: migrations.tenant,
  });
}

/** Another process's service on the same platform database, counting its registry lookups. */
function countingLookups(): { service: TenancyService; lookups: () => number } {
  const repository = new TenancyRepository(platform.db);
  let lookups = 0;
  const findBySlug = repository.findBySlug.bind(repository);
  repository.findBySlug = (slug) => {
    lookups++;
    return findBySlug(slug);
  };
  return { service: serviceWith(ownProvisioner(), repository), lookups: () => lookups };
}

function serviceWith(provisioner: TenantProvisioner, repository = new TenancyRepository(platform.db)): TenancyService {
  return new TenancyService({
    repository,
    provisioner,
    pools: platform.tenantPools,
    clock: platform.clock,
    log: platform.log,
    region: 'local',
    baseDomain: 'localhost',
  });
}

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('creating a tenant', () => {
  test('gives it its own database and login role, migrated to the latest version, and audits it', async () => {
    const tenant = await buildTenant(platform, { name: 'Acme Inc.' });
    assert.equal(tenant.status, 'active');
    assert.equal(tenant.schemaVersion, await migrations.tenant.latest());
    assert.ok(await clusterHas('database', tenant.databaseName));
    assert.ok(await clusterHas('role', tenant.databaseName));
    const client = await connectAs(tenant.databaseName, tenant.databaseName);
    const { rows } = await client.query("SELECT to_regclass('settings') IS NOT NULL AS migrated");
    await client.end();
    assert.equal(rows[0].migrated, true);
    const trail = await platform.tenancy.auditTrail(tenant.slug);
    assert.deepEqual(
      trail.map((entry) => entry.action),
      ['tenant.created'],
    );
    assert.equal(trail[0]!.actor, 'operator:test');
  });

  test('refuses a duplicate slug without touching the existing tenant', async () => {
    const tenant = await buildTenant(platform);
    await assert.rejects(buildTenant(platform, { slug: tenant.slug }), rejectsWith('TENANT_SLUG_TAKEN'));
    assert.equal((await platform.tenancy.get(tenant.slug)).status, 'active');
  });

  for (const [slug, why] of [
    ['ab', /at least 3/],
    ['Acme', /lower-case/],
    ['-acme', /start and end/],
    ['www', /reserved/],
    ['a'.repeat(41), /at most 40/],
    ['acme_inc', /lower-case/],
  ] as const) {
    test(`refuses the invalid slug "${slug}" and creates nothing`, async () => {
      const before = await countRows(platform, 'tenants');
      await assert.rejects(platform.tenancy.create(testOperator, { slug, name: 'X' }), (error: unknown) => {
        rejectsWith('TENANT_SLUG_INVALID')(error);
        assert.match((error as Error).message, why);
        return true;
      });
      assert.equal(await countRows(platform, 'tenants'), before);
    });
  }

  test('leaves no database, role or registry row when it fails half-way', async () => {
    const provisioner = ownProvisioner();
    provisioner.migrate = async () => {
      throw new Error('disk full while migrating');
    };
    const failing = serviceWith(provisioner);
    const slug = uniqueSlug('half');
    const names = provisioner.namesFor(slug);
    await assert.rejects(failing.create(testOperator, { slug, name: 'Half' }), /disk full/);
    assert.equal(await clusterHas('database', names.databaseName), false);
    assert.equal(await clusterHas('role', names.roleName), false);
    assert.equal(await platform.tenancy.findRow(slug), undefined);
  });

  test('a creation whose row was taken over half-way (by a deletion) undoes itself', async () => {
    const provisioner = ownProvisioner();
    const slug = uniqueSlug('race');
    const migrate = provisioner.migrate.bind(provisioner);
    provisioner.migrate = async (names) => {
      await platform.db.updateTable('tenants').set({ status: 'deleting' }).where('slug', '=', slug).execute();
      return migrate(names);
    };
    const racing = serviceWith(provisioner);
    await assert.rejects(racing.create(testOperator, { slug, name: 'Race' }), rejectsWith('TENANT_STATE_CONFLICT'));
    assert.equal(await clusterHas('database', provisioner.namesFor(slug).databaseName), false);
    assert.equal(await platform.tenancy.findRow(slug), undefined);
  });

  test('a tenant still being created cannot be deleted', async () => {
    const repository = new TenancyRepository(platform.db);
    const slug = uniqueSlug('busy');
    await repository.transaction((tx) =>
      repository.insertProvisioning(tx, {
        slug,
        name: 'Busy',
        region: 'local',
        databaseName: `x_${slug}`,
        roleName: `x_${slug}`,
      }),
    );
    await assert.rejects(platform.tenancy.delete(testOperator, slug), rejectsWith('TENANT_STATE_CONFLICT'));
    await repository.transaction((tx) => repository.remove(tx, slug));
  });
});

describe('tenant isolation', () => {
  test("a tenant's role cannot connect to another tenant's database, the platform database or postgres", async () => {
    const a = await buildTenant(platform);
    const b = await buildTenant(platform);
    for (const database of [b.databaseName, platform.database.platformDatabase, 'postgres', 'template1']) {
      await assert.rejects(
        connectAs(a.databaseName, database),
        /permission denied for database|not permitted/,
        `connected to ${database}`,
      );
    }
  });

  test("a tenant's query builder sees only its own rows", async () => {
    const a = await buildTenant(platform);
    const b = await buildTenant(platform);
    await platform.tenancy.withDatabase(a.slug, (db) =>
      db
        .insertInto('settings')
        .values({ key: 'owner', value: JSON.stringify('a') })
        .execute(),
    );
    await platform.tenancy.withDatabase(b.slug, (db) =>
      db
        .insertInto('settings')
        .values({ key: 'owner', value: JSON.stringify('b') })
        .execute(),
    );
    assert.deepEqual(
      await platform.tenancy.withDatabase(a.slug, (db) => db.selectFrom('settings').select('value').execute()),
      [{ value: 'a' }],
    );
    assert.deepEqual(
      await platform.tenancy.withDatabase(b.slug, (db) => db.selectFrom('settings').select('value').execute()),
      [{ value: 'b' }],
    );
    const { rows } = await platform.tenancy.withDatabase(a.slug, (db) =>
      sql<{ db: string; who: string }>`SELECT current_database() AS db, current_user AS who`.execute(db),
    );
    assert.deepEqual(rows[0], { db: a.databaseName, who: a.databaseName });
  });
});

describe('suspending, resuming and deleting', () => {
  test('suspension keeps the data, closes connections, refuses new work and is audited', async () => {
    const tenant = await buildTenant(platform);
    await platform.tenancy.withDatabase(tenant.slug, (db) =>
      db
        .insertInto('settings')
        .values({ key: 'kept', value: JSON.stringify(true) })
        .execute(),
    );
    const suspended = await platform.tenancy.suspend(testOperator, tenant.slug, 'unpaid invoice');
    assert.equal(suspended.status, 'suspended');
    assert.equal(suspended.statusReason, 'unpaid invoice');
    await assert.rejects(
      platform.tenancy.withDatabase(tenant.slug, async () => undefined),
      rejectsWith('TENANT_SUSPENDED'),
    );
    await assert.rejects(platform.tenancy.suspend(testOperator, tenant.slug), rejectsWith('TENANT_STATE_CONFLICT'));
    await platform.tenancy.resume(testOperator, tenant.slug);
    const kept = await platform.tenancy.withDatabase(tenant.slug, (db) =>
      db.selectFrom('settings').selectAll().execute(),
    );
    assert.equal(kept.length, 1);
    const actions = (await platform.tenancy.auditTrail(tenant.slug)).map((entry) => entry.action);
    assert.deepEqual(actions, ['tenant.created', 'tenant.suspended', 'tenant.resumed']);
  });

  test("work on a tenant this process just found active needs no second lookup; another process's suspension is refused within activeSeenMs", async () => {
    const tenant = await buildTenant(platform);
    const { service: other, lookups } = countingLookups();
    // As a request does: its tenant context resolves the tenant, then its handler works in it.
    await other.resolveActive(tenant.slug);
    await other.withDatabase(tenant.slug, (db) => db.selectFrom('settings').selectAll().execute());
    assert.equal(lookups(), 1);

    await platform.tenancy.suspend(testOperator, tenant.slug, 'by another process');
    // Its next request sees it at once, and then so does its work.
    await assert.rejects(other.resolveActive(tenant.slug), rejectsWith('TENANT_SUSPENDED'));
    await assert.rejects(
      other.withDatabase(tenant.slug, async () => undefined),
      rejectsWith('TENANT_SUSPENDED'),
    );

    // Work that no request looked up for: within activeSeenMs.
    await platform.tenancy.resume(testOperator, tenant.slug);
    await other.resolveActive(tenant.slug);
    await platform.tenancy.suspend(testOperator, tenant.slug, 'by another process');
    await new Promise((resolve) => setTimeout(resolve, activeSeenMs + 50));
    await assert.rejects(
      other.withDatabase(tenant.slug, async () => undefined),
      rejectsWith('TENANT_SUSPENDED'),
    );
    await platform.tenancy.resume(testOperator, tenant.slug);
  });

  test("a watching process looks a request's tenant up once a second, and hears another process's suspension at once", async () => {
    const tenant = await buildTenant(platform);
    const { service: serving, lookups } = countingLookups();
    await serving.requestTenant(tenant.slug);
    await serving.requestTenant(tenant.slug);
    assert.equal(lookups(), 2, 'not watching: every request looks its tenant up');
    const stopWatching = await serving.watchChanges(platform.database.admin);
    try {
      for (let request = 0; request < 5; request++) await serving.requestTenant(tenant.slug);
      assert.equal(lookups(), 2, 'watching: what it found a moment ago, no lookup');
      await platform.tenancy.suspend(testOperator, tenant.slug, 'by another process');
      // Well within activeSeenMs: the announcement, not the time, made it look again.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(serving.requestTenant(tenant.slug), rejectsWith('TENANT_SUSPENDED'));
      await platform.tenancy.resume(testOperator, tenant.slug);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await serving.requestTenant(tenant.slug);
    } finally {
      await stopWatching();
    }
  });

  test('deletion drops the database, the role and the row, and keeps the audit record', async () => {
    const tenant = await buildTenant(platform);
    // A query under way and an open pool must not block the drop.
    await platform.tenancy.withDatabase(tenant.slug, async (db) => {
      await platform.tenancy.delete(testOperator, tenant.slug);
      await assert.rejects(db.selectFrom('settings').selectAll().execute());
    });
    assert.equal(await clusterHas('database', tenant.databaseName), false);
    assert.equal(await clusterHas('role', tenant.databaseName), false);
    await assert.rejects(platform.tenancy.get(tenant.slug), rejectsWith('TENANT_NOT_FOUND'));
    const actions = (await platform.tenancy.auditTrail(tenant.slug)).map((entry) => entry.action);
    assert.deepEqual(actions, ['tenant.created', 'tenant.deletion_started', 'tenant.deleted']);
  });

  test('unknown tenants get a clear not-found error', async () => {
    await assert.rejects(platform.tenancy.suspend(testOperator, 'no-such-tenant'), (error: unknown) => {
      rejectsWith('TENANT_NOT_FOUND')(error);
      assert.match((error as Error).message, /tenant list/);
      return true;
    });
  });
});

describe('tenant migrations across tenants', () => {
  test('migrate only the tenants behind and record their version, so a rerun resumes', async () => {
    const behind = await buildTenant(platform);
    const current = await buildTenant(platform);
    // Put one tenant back before its first migration, as if a run had stopped there.
    const client = await connectAs(behind.databaseName, behind.databaseName);
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.end();
    await platform.db.updateTable('tenants').set({ schema_version: null }).where('slug', '=', behind.slug).execute();

    const seen: string[] = [];
    const result = await platform.tenancy.migrateAll(({ slug }) => seen.push(slug));
    assert.deepEqual(result.migrated, [behind.slug]);
    assert.deepEqual(seen, [behind.slug]);
    assert.deepEqual(result.failed, []);
    assert.equal((await platform.tenancy.get(behind.slug)).schemaVersion, result.latest);
    assert.equal((await platform.tenancy.get(current.slug)).schemaVersion, result.latest);
    const rerun = await platform.tenancy.migrateAll();
    assert.deepEqual(rerun.migrated, []);
  });

  test('a failing tenant is reported and does not stop the others', async () => {
    const broken = await buildTenant(platform);
    const fine = await buildTenant(platform);
    await withClient(platform.superuser, (c) => c.query(`ALTER ROLE "${broken.databaseName}" NOLOGIN`));
    for (const slug of [broken.slug, fine.slug])
      await platform.db.updateTable('tenants').set({ schema_version: null }).where('slug', '=', slug).execute();
    const result = await platform.tenancy.migrateAll();
    assert.deepEqual(
      result.failed.map((failure) => failure.slug),
      [broken.slug],
    );
    assert.ok(result.migrated.includes(fine.slug));
    assert.equal((await platform.tenancy.get(broken.slug)).schemaVersion, null);
  });
});

describe('recovering interrupted work', () => {
  test('undoes a creation left half-done by a crash and finishes an interrupted deletion', async () => {
    const repository = new TenancyRepository(platform.db);
    const slug = uniqueSlug('crash');
    const names = {
      databaseName: `${platform.database.platformDatabase}_t_${slug.replace(/-/g, '_')}`,
      roleName: `${platform.database.platformDatabase}_t_${slug.replace(/-/g, '_')}`,
    };
    await repository.transaction((tx) =>
      repository.insertProvisioning(tx, { slug, name: 'Crashed', region: 'local', ...names }),
    );
    await platform.db
      .updateTable('tenants')
      .set({ updated_at: new Date(Date.now() - 3_600_000) })
      .where('slug', '=', slug)
      .execute();
    const deleting = await buildTenant(platform);
    await platform.db.updateTable('tenants').set({ status: 'deleting' }).where('slug', '=', deleting.slug).execute();

    const recovered = await platform.tenancy.recoverInterrupted();
    assert.deepEqual(recovered, { undone: [slug], deleted: [deleting.slug], failed: [] });
    assert.equal(await platform.tenancy.findRow(slug), undefined);
    assert.equal(await clusterHas('database', deleting.databaseName), false);
  });
});
