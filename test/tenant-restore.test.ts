import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createBackupService, restoreTenant } from '../src/app/backup.js';
import { startPlatform, type RunningPlatform } from '../src/app/run.js';
import type { BackupService } from '../src/modules/backup/index.js';
import { loadConfig } from '../src/platform/config/config.js';
import { withClient } from '../src/platform/db/connect.js';
import { silentLogger } from '../src/platform/log/log.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { testOperator } from './helpers/factories.js';
import { cliHome } from './helpers/cli.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
let running: RunningPlatform;
let backups: BackupService;
let betweenK2andK3: Date;

const settingsOf = async (database: string): Promise<string[]> =>
  withClient({ ...running.platform.database.admin, database }, async (client) =>
    (await client.query<{ key: string }>('SELECT key FROM settings ORDER BY key')).rows.map((row) => row.key),
  );
const put = async (slug: string, key: string): Promise<void> => {
  const row = await running.platform.tenancy.findRow(slug);
  await withClient({ ...running.platform.database.admin, database: row!.database_name }, (client) =>
    client.query("INSERT INTO settings (key, value) VALUES ($1, '1')", [key]),
  );
};
const keysOf = async (slug: string): Promise<string[]> =>
  settingsOf((await running.platform.tenancy.findRow(slug))!.database_name);

before(async () => {
  setup = await cliHome();
  const config = loadConfig({
    env: {
      ...setup.env,
      STEADFAST_WAL_ARCHIVE_TIMEOUT_SECONDS: '1',
      STEADFAST_DEMO_TENANT: '',
      STEADFAST_POSTGRES_PORT: String(await findFreePort()),
    },
  });
  running = await startPlatform(config, silentLogger(), { http: false, worker: false, ownDatabase: true });
  backups = createBackupService(config, silentLogger(), running.platform.database);
  for (const slug of ['acme', 'other']) await running.platform.tenancy.create(testOperator, { slug, name: slug });
  await put('acme', 'k1');
  await put('other', 'o1');
  await backups.take();
  await sleep(1100); // the moment must lie after the backup's end
  await put('acme', 'k2');
  betweenK2andK3 = new Date();
  await sleep(200);
  await put('acme', 'k3');
  await put('other', 'o2');
  const lsn = await backups.mark('after-k3');
  for (let i = 0; i < 200 && !(await backups.walHeldUpTo(lsn, 1)); i++) await sleep(100);
});
after(async () => {
  await backups?.close();
  await running?.stop();
  await setup.remove();
});

describe('restoring one tenant from the backups', () => {
  test('over the live tenant, to a moment: exactly its rows of then, its state before kept, the other tenants untouched, all audited', async () => {
    const result = await restoreTenant(running.platform, backups, {
      actor: testOperator,
      slug: 'acme',
      target: { kind: 'time', at: betweenK2andK3 },
    });
    assert.deepEqual(await keysOf('acme'), ['k1', 'k2']);
    assert.deepEqual(await keysOf('other'), ['o1', 'o2']);
    assert.equal(result.rows, 2);
    assert.ok(result.previousCopy?.includes('_r_acme_'), result.previousCopy);
    assert.deepEqual(
      await settingsOf(result.previousCopy!),
      ['k1', 'k2', 'k3'],
      'the state before the restore is kept whole',
    );
    assert.equal((await running.platform.tenancy.get('acme')).status, 'active', 'resumed after the restore');
    const trail = (await running.platform.tenancy.auditTrail('acme')).map((entry) => entry.action);
    assert.deepEqual(trail.slice(-3), ['tenant.suspended', 'tenant.restored', 'tenant.resumed']);
  });

  test('into a new tenant, to a restore point, leaving the live one alone', async () => {
    const result = await restoreTenant(running.platform, backups, {
      actor: testOperator,
      slug: 'acme',
      target: { kind: 'name', name: 'after-k3' },
      into: { slug: 'acme-then' },
    });
    assert.equal(result.slug, 'acme-then');
    assert.deepEqual(await keysOf('acme-then'), ['k1', 'k2', 'k3']);
    assert.deepEqual(await keysOf('acme'), ['k1', 'k2']);
    assert.equal(result.previousCopy, undefined);
  });

  test('a tenant that had no database at that moment is refused, and changes nothing', async () => {
    await running.platform.tenancy.create(testOperator, { slug: 'late', name: 'Late' });
    await put('late', 'l1');
    await assert.rejects(
      restoreTenant(running.platform, backups, {
        actor: testOperator,
        slug: 'late',
        target: { kind: 'name', name: 'after-k3' },
      }),
      /had no database at that moment/,
    );
    assert.deepEqual(await keysOf('late'), ['l1']);
    assert.equal((await running.platform.tenancy.get('late')).status, 'active');
  });

  test('deleting a tenant also drops the copies its restores kept', async () => {
    const copies = async (): Promise<string[]> =>
      withClient({ ...running.platform.database.admin, database: 'postgres' }, async (client) =>
        (
          await client.query<{ name: string }>(
            "SELECT datname AS name FROM pg_database WHERE datname LIKE '%\\_r\\_acme\\_%'",
          )
        ).rows.map((row) => row.name),
      );
    assert.equal((await copies()).length, 1);
    await running.platform.tenancy.delete(testOperator, 'acme');
    assert.deepEqual(await copies(), []);
    assert.equal(await running.platform.tenancy.findRow('acme'), undefined);
  });

  test('refuses an unknown tenant without --into, and --into a slug already taken', async () => {
    await assert.rejects(
      restoreTenant(running.platform, backups, { actor: testOperator, slug: 'nobody', target: { kind: 'latest' } }),
      /There is no tenant "nobody" to restore over/,
    );
    await assert.rejects(
      restoreTenant(running.platform, backups, {
        actor: testOperator,
        slug: 'acme-then',
        target: { kind: 'latest' },
        into: { slug: 'other' },
      }),
      /"other" already exists; --into needs a new slug/,
    );
  });
});
