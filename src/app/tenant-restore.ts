import path from 'node:path';
import type { BackupService, TransferProgress } from '../modules/backup/index.js';
import type { Actor } from '../platform/actor.js';
import { createKysely, createPool, withClient, type ConnectionTarget } from '../platform/db/connect.js';
import { migrations } from './modules.js';
import { appError } from '../platform/errors.js';
import { copyDatabaseData } from '../platform/postgres/copy-data.js';
import type { RecoveryTarget } from '../platform/postgres/recovery.js';
import { removeTree } from '../platform/storage/dirs.js';
import { scratchSpace } from './backup.js';
import type { Platform } from './deps.js';

export interface TenantRestoreOptions {
  readonly actor: Actor;
  /** The tenant whose data to bring back (it may since have been deleted when `into` is given). */
  readonly slug: string;
  readonly target: RecoveryTarget;
  /** A new tenant to restore into; without it, the data goes over the live tenant's. */
  readonly into?: { slug: string; name?: string };
  readonly onProgress?: (progress: TransferProgress) => void;
}

export interface TenantRestoreResult {
  readonly slug: string;
  readonly from: string;
  readonly backupId: string;
  /** The moment the copy reached (last replayed commit), as PostgreSQL reports it. */
  readonly restoredTo: string | null;
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
  /** The database holding the tenant's state from before the restore (over a live tenant). */
  readonly previousCopy?: string;
  readonly seconds: number;
}

/** The tenant migrations' own bookkeeping: each side keeps its own. */
const migrationTables = (table: string): boolean => /^public\.kysely_migration(_lock)?$/.test(table);

/**
 * Brings one tenant's data back from the backups: the cluster is recovered to the moment in
 * a scratch copy (archiving off, private socket), the tenant's database there is migrated to
 * the current tenant schema, and its rows are streamed with COPY into the live tenant (its
 * previous state kept first in a database of its own) or into a new tenant. The live write is
 * one transaction; a failure anywhere leaves the live tenant as it was, and a new tenant made
 * for the restore is removed again.
 */
export async function restoreTenant(
  platform: Platform,
  backups: BackupService,
  options: TenantRestoreOptions,
): Promise<TenantRestoreResult> {
  const { tenancy, clock } = platform;
  const started = clock.now();
  const existing = await tenancy.findRow(options.slug);
  if (!existing && !options.into)
    throw appError(
      'TENANT_NOT_FOUND',
      `There is no tenant "${options.slug}" to restore over. To bring back a deleted tenant, restore it into a new one with --into <new-slug>.`,
    );
  if (options.into && (await tenancy.findRow(options.into.slug))) {
    throw appError(
      'TENANT_SLUG_TAKEN',
      `A tenant with the slug "${options.into.slug}" already exists; --into needs a new slug.`,
    );
  }
  const sourceDatabase = existing?.database_name ?? tenancy.namesFor(options.slug).databaseName;
  const { scratchDir, runAs } = await scratchSpace(platform);
  const scratch = path.join(scratchDir, `tenant-restore-${started.toISOString().replace(/\D/g, '').slice(0, 14)}`);
  let outcome: Omit<TenantRestoreResult, 'backupId' | 'restoredTo' | 'seconds'> | undefined;
  try {
    const restored = await backups.restore({
      target: scratch,
      owner: runAs,
      recovery: options.target,
      onProgress: options.onProgress,
      inspect: async (restoredTarget) => {
        const source = restoredTarget(sourceDatabase);
        const existed = await withClient(
          restoredTarget('postgres'),
          async (client) =>
            (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [sourceDatabase])).rowCount === 1,
        );
        if (!existed)
          throw appError(
            'RESTORE_FAILED',
            `The tenant "${options.slug}" had no database at that moment (it did not exist yet, or was already deleted). Choose another moment.`,
          );
        await migrateCopy(source);
        options.onProgress?.({ phase: 'copying the tenant', doneBytes: 0, bytesPerSecond: 0 });
        outcome = await load(platform, options, source);
      },
    });
    return {
      ...outcome!,
      backupId: restored.record.id,
      restoredTo: restored.recovery?.lastTransactionAt ?? null,
      seconds: (clock.now().getTime() - started.getTime()) / 1000,
    };
  } finally {
    await removeTree(scratch);
    await removeTree(`${scratch}.wal-restore`);
  }
}

/** The copy's tenant database at the current tenant schema, so its rows fit the live tables. */
async function migrateCopy(source: ConnectionTarget): Promise<void> {
  const db = createKysely<unknown>(
    createPool(source, { max: 1, idleSeconds: 1, applicationName: 'steadfast-restore' }),
  );
  try {
    await migrations.tenant.migrateToLatest(db, `the restored copy of ${source.database}`);
  } finally {
    await db.destroy();
  }
}

async function load(
  platform: Platform,
  options: TenantRestoreOptions,
  source: ConnectionTarget,
): Promise<Omit<TenantRestoreResult, 'backupId' | 'restoredTo' | 'seconds'>> {
  const { tenancy } = platform;
  const detail = { from: options.slug, target: describeTarget(options.target) };
  const copy = (target: ConnectionTarget, roleName: string) =>
    copyDatabaseData(source, target, { exclude: migrationTables, role: roleName });
  if (!options.into) {
    const { loaded, previousCopy } = await tenancy.replaceData(options.actor, options.slug, copy, {
      keepPrevious: true,
      detail,
    });
    return { slug: options.slug, from: options.slug, ...loaded, previousCopy };
  }
  const created = await tenancy.create(options.actor, {
    slug: options.into.slug,
    name: options.into.name ?? `${options.slug} (restored)`,
  });
  try {
    const { loaded } = await tenancy.replaceData(options.actor, created.slug, copy, { keepPrevious: false, detail });
    return { slug: created.slug, from: options.slug, ...loaded };
  } catch (error) {
    await tenancy.delete(options.actor, created.slug).catch(() => undefined);
    throw error;
  }
}

function describeTarget(target: RecoveryTarget): string {
  if (target.kind === 'time') return target.at.toISOString();
  if (target.kind === 'name') return `restore point ${target.name}`;
  return target.kind;
}
