import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../platform/actor.js';
import { manualClock } from '../../platform/clock/clock.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import type { RestoreResult } from './backup.restore.js';
import {
  TenantRestore,
  type RestoredCopy,
  type TenantDirectory,
  type TenantRestoreDeps,
  type TenantRestoreOptions,
} from './backup.tenant-restore.js';

const actor: Actor = { kind: 'operator', name: 'test' };
type Row = NonNullable<Awaited<ReturnType<TenantDirectory['findRow']>>>;
const server = (database: string): ConnectionTarget => ({
  host: '/scratch',
  port: 5432,
  user: 'x',
  password: '',
  database,
});

/** A world of fakes: the tenants that exist, the databases the recovered copy holds, and a log of what was done. */
function world(options: { tenants?: string[]; copyHolds?: string[]; loadFails?: boolean } = {}) {
  const done: string[] = [];
  const tenants = new Set(options.tenants ?? ['acme']);
  const tenancy: TenantDirectory = {
    findRow: async (slug) => (tenants.has(slug) ? ({ slug, database_name: `tenant_${slug}` } as Row) : undefined),
    namesFor: (slug) => ({ databaseName: `tenant_${slug}`, roleName: `tenant_${slug}` }),
    replaceData: async (_actor, slug, load, replace) => {
      done.push(`replace ${slug}${replace.keepPrevious ? ' keeping the previous data' : ''}`);
      if (options.loadFails) throw new Error('COPY failed');
      return {
        loaded: await load(server(`tenant_${slug}`), `tenant_${slug}`),
        previousCopy: replace.keepPrevious ? `tenant_${slug}_before` : undefined,
      };
    },
    create: async (_actor, input) => {
      done.push(`create ${input.slug} (${input.name})`);
      tenants.add(input.slug);
      return { slug: input.slug } as Awaited<ReturnType<TenantDirectory['create']>>;
    },
    delete: async (_actor, slug) => {
      done.push(`delete ${slug}`);
      tenants.delete(slug);
    },
  };
  const copies: RestoredCopy = {
    hasDatabase: async (_server, name) => (options.copyHolds ?? ['tenant_acme']).includes(name),
    migrateTenant: async (database) => void done.push(`migrate ${database.database}`),
    copyData: async (source, destination, copy) => {
      done.push(`copy ${source.database} -> ${destination.database} as ${copy.role}`);
      return { tables: 3, rows: 10, bytes: 800 };
    },
  };
  const deps: TenantRestoreDeps = {
    backups: {
      restore: async (restore) => {
        done.push(`restore into ${restore.target}`);
        await restore.inspect?.(server);
        return {
          record: { id: '20261124T020000Z' },
          recovery: { lastTransactionAt: '2026-11-24T01:59:00Z' },
          passedOver: [],
        } as unknown as RestoreResult;
      },
    },
    tenancy,
    copies,
    scratch: {
      prepare: async () => ({ dir: '/scratch', owner: undefined }),
      remove: async (dir) => void done.push(`remove ${dir}`),
    },
    clock: manualClock(new Date('2026-11-24T03:00:00Z')),
  };
  return { deps, done, tenants };
}

const latest: TenantRestoreOptions['target'] = { kind: 'latest' };

describe('restoring one tenant', () => {
  test('loads the copy over the live tenant, keeping its previous data, and removes the scratch copy', async () => {
    const { deps, done } = world();
    const result = await new TenantRestore(deps).run({ actor, slug: 'acme', target: latest });
    assert.deepEqual(result, {
      slug: 'acme',
      from: 'acme',
      tables: 3,
      rows: 10,
      bytes: 800,
      previousCopy: 'tenant_acme_before',
      backupId: '20261124T020000Z',
      passedOver: [],
      restoredTo: '2026-11-24T01:59:00Z',
      seconds: 0,
    });
    assert.deepEqual(done, [
      'restore into /scratch/tenant-restore-20261124030000',
      'migrate tenant_acme',
      'replace acme keeping the previous data',
      'copy tenant_acme -> tenant_acme as tenant_acme',
      'remove /scratch/tenant-restore-20261124030000',
      'remove /scratch/tenant-restore-20261124030000.wal-restore',
    ]);
  });

  test('restores a deleted tenant into a new one, named after it', async () => {
    const { deps, done } = world({ tenants: [] });
    const result = await new TenantRestore(deps).run({ actor, slug: 'acme', target: latest, into: { slug: 'acme-2' } });
    assert.deepEqual([result.slug, result.from, result.previousCopy], ['acme-2', 'acme', undefined]);
    assert.ok(done.includes('create acme-2 (acme (restored))'));
  });

  test('removes the new tenant made for the restore when loading into it fails', async () => {
    const { deps, done, tenants } = world({ loadFails: true });
    await assert.rejects(
      new TenantRestore(deps).run({ actor, slug: 'acme', target: latest, into: { slug: 'acme-2' } }),
      /COPY failed/,
    );
    assert.ok(done.includes('delete acme-2'));
    assert.equal(tenants.has('acme-2'), false);
  });

  const refusals: Array<{
    title: string;
    world: Parameters<typeof world>[0];
    options: Partial<TenantRestoreOptions>;
    error: RegExp;
    restored: boolean;
  }> = [
    {
      title: 'refuses a tenant that does not exist when no new tenant is named, before restoring anything',
      world: { tenants: [] },
      options: {},
      error: /There is no tenant "acme" to restore over/,
      restored: false,
    },
    {
      title: 'refuses to restore into a slug that is taken',
      world: { tenants: ['acme', 'taken'] },
      options: { into: { slug: 'taken' } },
      error: /"taken" already exists/,
      restored: false,
    },
    {
      title: 'refuses a moment at which the tenant had no database, and changes nothing',
      world: { copyHolds: [] },
      options: {},
      error: /had no database at that moment/,
      restored: true,
    },
  ];
  for (const refusal of refusals) {
    test(refusal.title, async () => {
      const { deps, done } = world(refusal.world);
      await assert.rejects(
        new TenantRestore(deps).run({ actor, slug: 'acme', target: latest, ...refusal.options }),
        refusal.error,
      );
      assert.equal(
        done.some((step) => step.startsWith('restore into')),
        refusal.restored,
      );
      assert.equal(
        done.some((step) => step.startsWith('replace') || step.startsWith('create')),
        false,
      );
    });
  }
});
