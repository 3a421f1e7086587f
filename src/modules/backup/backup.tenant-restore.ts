import path from 'node:path';
import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import { appError } from '../../platform/errors.js';
import type { RecoveryTarget } from '../../platform/postgres/recovery.js';
import type { TenancyService } from '../tenancy/index.js';
import type { PassedOver } from './backup.restore.js';
import type { BackupService } from './backup.service.js';
import type { TransferProgress } from './backup.schema.js';

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
  /** Newer backups passed over because no repository held an intact copy. */
  readonly passedOver: PassedOver[];
  /** The moment the copy reached (last replayed commit), as PostgreSQL reports it. */
  readonly restoredTo: string | null;
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
  /** The database holding the tenant's state from before the restore (over a live tenant). */
  readonly previousCopy?: string;
  readonly seconds: number;
}

/** What a tenant restore asks of the tenancy module (through its index). */
export type TenantDirectory = Pick<TenancyService, 'findRow' | 'namesFor' | 'replaceData' | 'create' | 'delete'>;

/** The databases of a recovered scratch copy (adapter: platform/postgres/restored-copy.ts). */
export interface RestoredCopy {
  /** Whether the server holds a database of that name. */
  hasDatabase(server: ConnectionTarget, name: string): Promise<boolean>;
  /** Migrates a tenant database of the copy to the current tenant schema, so its rows fit the live tables. */
  migrateTenant(database: ConnectionTarget): Promise<void>;
  /** Replaces the rows of `destination`'s tables with `source`'s (COPY), as `role`, except those excluded. */
  copyData(
    source: ConnectionTarget,
    destination: ConnectionTarget,
    options: { exclude: (table: string) => boolean; role: string },
  ): Promise<{ tables: number; rows: number; bytes: number }>;
}

/** Where scratch copies of the cluster go, and the OS user that owns them. */
export interface ScratchDirectory {
  prepare(): Promise<{ dir: string; owner: { uid: number; gid: number } | undefined }>;
  remove(dir: string): Promise<void>;
}

export interface TenantRestoreDeps {
  readonly backups: Pick<BackupService, 'restore'>;
  readonly tenancy: TenantDirectory;
  readonly copies: RestoredCopy;
  readonly scratch: ScratchDirectory;
  readonly clock: Clock;
}

type Loaded = Omit<TenantRestoreResult, 'backupId' | 'passedOver' | 'restoredTo' | 'seconds'>;

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
export class TenantRestore {
  constructor(private readonly deps: TenantRestoreDeps) {}

  async run(options: TenantRestoreOptions): Promise<TenantRestoreResult> {
    const { clock, scratch } = this.deps;
    const started = clock.now();
    const sourceDatabase = await this.sourceDatabase(options);
    const { dir, owner } = await scratch.prepare();
    const copy = path.join(dir, `tenant-restore-${started.toISOString().replace(/\D/g, '').slice(0, 14)}`);
    let loaded: Loaded | undefined;
    try {
      const restored = await this.deps.backups.restore({
        target: copy,
        owner,
        recovery: options.target,
        onProgress: options.onProgress,
        inspect: async (restoredTarget) => {
          loaded = await this.loadFrom(restoredTarget, sourceDatabase, options);
        },
      });
      return {
        ...loaded!,
        backupId: restored.record.id,
        passedOver: restored.passedOver,
        restoredTo: restored.recovery?.lastTransactionAt ?? null,
        seconds: (clock.now().getTime() - started.getTime()) / 1000,
      };
    } finally {
      await scratch.remove(copy);
      await scratch.remove(`${copy}.wal-restore`);
    }
  }

  /** The tenant's database name, once the slugs are known to make sense for this restore. */
  private async sourceDatabase(options: TenantRestoreOptions): Promise<string> {
    const { tenancy } = this.deps;
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
    return existing?.database_name ?? tenancy.namesFor(options.slug).databaseName;
  }

  /** While the recovered copy runs: its tenant database migrated, then loaded into the live side. */
  private async loadFrom(
    restoredTarget: (database: string) => ConnectionTarget,
    sourceDatabase: string,
    options: TenantRestoreOptions,
  ): Promise<Loaded> {
    const { copies } = this.deps;
    if (!(await copies.hasDatabase(restoredTarget('postgres'), sourceDatabase)))
      throw appError(
        'RESTORE_FAILED',
        `The tenant "${options.slug}" had no database at that moment (it did not exist yet, or was already deleted). Choose another moment.`,
      );
    const source = restoredTarget(sourceDatabase);
    await copies.migrateTenant(source);
    options.onProgress?.({ phase: 'copying the tenant', doneBytes: 0, bytesPerSecond: 0 });
    return this.load(options, source);
  }

  private async load(options: TenantRestoreOptions, source: ConnectionTarget): Promise<Loaded> {
    const { tenancy, copies } = this.deps;
    const detail = { from: options.slug, target: describeTarget(options.target) };
    const copy = (target: ConnectionTarget, roleName: string) =>
      copies.copyData(source, target, { exclude: migrationTables, role: roleName });
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
}

function describeTarget(target: RecoveryTarget): string {
  if (target.kind === 'time') return target.at.toISOString();
  if (target.kind === 'name') return `restore point ${target.name}`;
  return target.kind;
}
