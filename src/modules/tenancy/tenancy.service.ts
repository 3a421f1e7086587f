import type { Kysely } from 'kysely';
import { describeActor, type Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import type { TenantTables } from '../../platform/db/schema.js';
import type { TenantPoolRegistry } from '../../platform/db/tenant-pools.js';
import { NotificationListener, type ListenHandlers } from '../../platform/db/listener.js';
import type { AppError } from '../../platform/errors.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { assertCanManageTenants } from './tenancy.policy.js';
import type { TenantProvisioner } from './tenancy.provisioner.js';
import { tenantChangesChannel, type TenancyRepository, type TenantRow } from './tenancy.repository.js';
import { createTenantSchema, statusReasonSchema, type CreateTenantInput, type TenantView } from './tenancy.schema.js';

export interface TenancyServiceDeps {
  readonly repository: TenancyRepository;
  readonly provisioner: TenantProvisioner;
  readonly pools: TenantPoolRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly region: string;
  readonly baseDomain: string;
  /** Public port of the tenant-facing server, for URLs shown to people; omitted when 80/443. */
  readonly publicPort?: number | undefined;
  /** https when workspaces are served over TLS. */
  readonly publicScheme?: 'http' | 'https';
}

export interface MigrationProgress {
  readonly done: number;
  readonly total: number;
  readonly slug: string;
}

export interface MigrateTenantsResult {
  readonly latest: string;
  readonly migrated: string[];
  readonly failed: Array<{ slug: string; error: string }>;
  readonly alreadyCurrent: number;
}

/**
 * How long this process trusts its last finding that a tenant is active: a change of status made
 * here is seen at once, one made by another process when its announcement arrives (watchChanges)
 * or, while no announcement can arrive, within this time.
 */
export const activeSeenMs = 1000;

/** Provisioning, lookup, suspension, deletion and migration of tenants. */
export class TenancyService {
  private readonly activeSeen = new Map<string, { row: TenantRow; until: number }>();
  /** True while this process hears every change of a tenant's status (watchChanges). */
  private watching = false;

  constructor(private readonly deps: TenancyServiceDeps) {}

  /**
   * Creates a tenant: registry row, login role, database, migrations. Any failure
   * undoes every step, so a failed creation leaves no database, role or row behind.
   */
  async create(actor: Actor, input: CreateTenantInput): Promise<TenantView> {
    assertCanManageTenants(actor);
    const parsed = createTenantSchema.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const { slug, name } = parsed.data;
    const region = parsed.data.region ?? this.deps.region;
    const names = this.deps.provisioner.namesFor(slug);
    await this.registerProvisioning({ slug, name, region, ...names });
    try {
      await this.provision(actor, slug, names, { name, region });
    } catch (error) {
      this.deps.log.warn({ err: error, slug }, 'tenant creation failed; undoing it');
      await this.undoCreate(slug, names);
      throw error;
    }
    this.deps.log.info({ slug }, 'tenant created');
    return this.get(slug);
  }

  /** The registry row in `provisioning`, claiming the slug; a slug already taken is said plainly. */
  private async registerProvisioning(row: Parameters<TenancyRepository['insertProvisioning']>[1]): Promise<void> {
    const { repository } = this.deps;
    const existing = await repository.findBySlug(row.slug);
    if (existing)
      throw appError(
        'TENANT_SLUG_TAKEN',
        `A tenant with the slug "${row.slug}" already exists (${existing.status}). Choose another slug, or delete that tenant first.`,
      );
    try {
      await repository.transaction((tx) => repository.insertProvisioning(tx, row));
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw appError(
          'TENANT_SLUG_TAKEN',
          `A tenant with the slug "${row.slug}" was just created by someone else. Choose another slug.`,
        );
      throw error;
    }
  }

  /** Its database and role, migrated; then the row made active and the creation audited, together. */
  private async provision(
    actor: Actor,
    slug: string,
    names: { databaseName: string; roleName: string },
    detail: { name: string; region: string },
  ): Promise<void> {
    const { repository, provisioner } = this.deps;
    await provisioner.createDatabase(names);
    const version = await provisioner.migrate(names);
    await repository.transaction(async (tx) => {
      if (!(await repository.finishProvisioning(tx, slug, version))) {
        throw appError(
          'TENANT_STATE_CONFLICT',
          `The tenant "${slug}" was deleted while it was being created; nothing of it is kept.`,
        );
      }
      await repository.audit(tx, { actor: describeActor(actor), action: 'tenant.created', tenantSlug: slug, detail });
    });
  }

  async get(slug: string): Promise<TenantView> {
    return this.present(await this.require(slug));
  }

  async list(): Promise<TenantView[]> {
    return (await this.deps.repository.list()).map((row) => this.present(row));
  }

  /** Suspends a tenant: its host answers 423 and its connections are closed. Its data stays. */
  async suspend(actor: Actor, slug: string, reason?: string): Promise<TenantView> {
    assertCanManageTenants(actor);
    const parsedReason = statusReasonSchema.safeParse(reason);
    if (!parsedReason.success) throw appError('VALIDATION_FAILED', `The reason must be at most 500 characters.`);
    const why = parsedReason.data ?? null;
    const row = await this.transition(actor, slug, ['active'], 'suspended', 'tenant.suspended', why);
    await this.deps.pools.evict(row.database_name);
    await this.deps.provisioner.terminateSessions(row.database_name);
    return this.get(slug);
  }

  async resume(actor: Actor, slug: string): Promise<TenantView> {
    assertCanManageTenants(actor);
    await this.transition(actor, slug, ['suspended'], 'active', 'tenant.resumed', null);
    return this.get(slug);
  }

  /**
   * Deletes a tenant's database, role and registry row; the audit log keeps the record.
   * A deletion interrupted half-way is finished by running it again.
   * TODO(#3): keep a final export-able backup before dropping, once the backup module exists.
   */
  async delete(actor: Actor, slug: string): Promise<void> {
    assertCanManageTenants(actor);
    // A tenant still `provisioning` is left to its creator, which undoes itself on failure.
    const row = await this.transition(
      actor,
      slug,
      ['active', 'suspended', 'deleting'],
      'deleting',
      'tenant.deletion_started',
      null,
    );
    const { repository, provisioner, pools, log } = this.deps;
    await pools.evict(row.database_name);
    await provisioner.dropDatabase({ databaseName: row.database_name, roleName: row.role_name });
    await repository.transaction(async (tx) => {
      await repository.remove(tx, slug);
      await repository.audit(tx, {
        actor: describeActor(actor),
        action: 'tenant.deleted',
        tenantSlug: slug,
        detail: { name: row.name, databaseName: row.database_name },
      });
    });
    log.info({ slug }, 'tenant deleted');
  }

  /**
   * Replaces a tenant's data with what `load` writes into its database (a restore), the tenant
   * suspended meanwhile so nobody reads half of it, its previous state first copied whole into a
   * database of its own when `keepPrevious`. `load` is given the administrative connection to the
   * tenant's database and must write in one transaction: a failure leaves the data as it was.
   * The tenant is resumed afterwards if it was active, whether the load worked or not.
   */
  async replaceData<T extends object>(
    actor: Actor,
    slug: string,
    load: (target: ConnectionTarget, roleName: string) => Promise<T>,
    options: { keepPrevious: boolean; detail: Record<string, unknown> },
  ): Promise<{ previousCopy?: string; loaded: T }> {
    assertCanManageTenants(actor);
    const { provisioner, pools, clock, log } = this.deps;
    const row = await this.require(slug);
    if (row.status !== 'active' && row.status !== 'suspended')
      throw appError(
        'TENANT_STATE_CONFLICT',
        `The tenant "${slug}" is ${row.status}; its data can be restored only when it is active or suspended.`,
      );
    const wasActive = row.status === 'active';
    const reason = 'restoring its data from a backup';
    if (wasActive) await this.transition(actor, slug, ['active'], 'suspended', 'tenant.suspended', reason);
    let previousCopy: string | undefined;
    try {
      await pools.evict(row.database_name);
      await provisioner.terminateSessions(row.database_name);
      const names = { databaseName: row.database_name, roleName: row.role_name };
      const stamp = clock.now().toISOString().replace(/\D/g, '').slice(0, 14);
      if (options.keepPrevious) previousCopy = await provisioner.copyDatabase(names, stamp);
      const loaded = await load(provisioner.adminTarget(row.database_name), row.role_name);
      await this.auditRestore(actor, slug, 'tenant.restored', { ...options.detail, ...loaded, previousCopy });
      log.info({ slug, previousCopy, ...options.detail }, 'tenant data restored');
      return { previousCopy, loaded };
    } catch (error) {
      const detail = { ...options.detail, error: (error as Error).message, previousCopy };
      await this.auditRestore(actor, slug, 'tenant.restore_failed', detail).catch((auditError: unknown) =>
        log.error({ err: auditError }, 'could not record a failed restore in the audit log'),
      );
      throw error;
    } finally {
      if (wasActive) await this.resumeAfterRestore(actor, slug);
    }
  }

  private auditRestore(actor: Actor, slug: string, action: string, detail: Record<string, unknown>): Promise<void> {
    const { repository } = this.deps;
    return repository.transaction((tx) =>
      repository.audit(tx, { actor: describeActor(actor), action, tenantSlug: slug, detail }),
    );
  }

  /** A failure to resume is logged, not thrown: it must not hide how the restore itself went. */
  private async resumeAfterRestore(actor: Actor, slug: string): Promise<void> {
    await this.transition(actor, slug, ['suspended'], 'active', 'tenant.resumed', null).catch((error: unknown) =>
      this.deps.log.error(
        { err: error, slug },
        'could not resume the tenant after restoring it; run "steadfast tenant resume"',
      ),
    );
  }

  /**
   * Brings every tenant database to the latest tenant migration. Tenants are done one
   * at a time and each records its version, so a run that fails or is interrupted
   * resumes where it stopped; one failing tenant does not hold up the others.
   */
  async migrateAll(onProgress?: (progress: MigrationProgress) => void): Promise<MigrateTenantsResult> {
    const { repository, provisioner, log } = this.deps;
    const latest = await provisioner.latestVersion();
    const tenants = await repository.listInStatus(['active', 'suspended']);
    const pending = tenants.filter((tenant) => tenant.schema_version !== latest);
    const migrated: string[] = [];
    const failed: Array<{ slug: string; error: string }> = [];
    for (const [index, tenant] of pending.entries()) {
      try {
        const version = await provisioner.migrate({ databaseName: tenant.database_name, roleName: tenant.role_name });
        await repository.setSchemaVersion(tenant.slug, version);
        migrated.push(tenant.slug);
      } catch (error) {
        log.error({ err: error, slug: tenant.slug }, 'tenant migration failed');
        failed.push({ slug: tenant.slug, error: (error as Error).message });
      }
      onProgress?.({ done: index + 1, total: pending.length, slug: tenant.slug });
    }
    return { latest, migrated, failed, alreadyCurrent: tenants.length - pending.length };
  }

  /**
   * Finishes or undoes work a crash interrupted: creations left `provisioning` for longer
   * than `olderThanMs` are undone, deletions left `deleting` are completed.
   */
  async recoverInterrupted(
    olderThanMs = 5 * 60_000,
  ): Promise<{ undone: string[]; deleted: string[]; failed: string[] }> {
    const { repository, clock, log } = this.deps;
    const stuck = await repository.listInStatus(['provisioning', 'deleting']);
    const result = { undone: [] as string[], deleted: [] as string[], failed: [] as string[] };
    const system: Actor = { kind: 'system', name: 'recovery' };
    for (const row of stuck) {
      try {
        if (row.status === 'deleting') {
          await this.delete(system, row.slug);
          result.deleted.push(row.slug);
        } else if (clock.now().getTime() - row.updated_at.getTime() > olderThanMs) {
          await this.undoCreate(row.slug, { databaseName: row.database_name, roleName: row.role_name });
          result.undone.push(row.slug);
        }
      } catch (error) {
        log.error(
          { err: error, slug: row.slug },
          'could not finish interrupted tenant work; it will be retried at the next start',
        );
        result.failed.push(row.slug);
      }
    }
    return result;
  }

  /**
   * Runs `work` on the tenant's own database, through its own role, for modules that
   * store tenant data. Refuses tenants that are not active.
   */
  async withDatabase<R>(slug: string, work: (db: Kysely<TenantTables>) => Promise<R>): Promise<R> {
    const row = await this.recentlyActive(slug);
    return this.deps.pools.use({ databaseName: row.database_name, roleName: row.role_name }, work);
  }

  /** Listens on `channel` of an active tenant's database; the listener is the caller's to close. */
  async listen(slug: string, channel: string, handlers: ListenHandlers): Promise<{ close(): Promise<void> }> {
    const row = await this.recentlyActive(slug);
    return this.deps.pools.listen({ databaseName: row.database_name, roleName: row.role_name }, channel, handlers);
  }

  /** The tenant's row if it is active; otherwise the 404 or 423 its requests get. */
  async resolveActive(slug: string): Promise<TenantRow> {
    const row = await this.deps.repository.findBySlug(slug);
    if (!row || row.status !== 'active') {
      this.activeSeen.delete(slug);
      if (!row) throw appError('TENANT_NOT_FOUND', `There is no workspace at "${slug}". Check the address.`);
      throw this.unavailable(row);
    }
    const now = performance.now();
    if (this.activeSeen.size >= 10_000)
      for (const [seen, entry] of this.activeSeen) if (entry.until <= now) this.activeSeen.delete(seen);
    this.activeSeen.set(slug, { row, until: now + activeSeenMs });
    return row;
  }

  /**
   * The tenant a request's address names, if it is active: found within `activeSeenMs` while this
   * process hears every change of a tenant's status, looked up otherwise.
   */
  async requestTenant(slug: string): Promise<TenantRow> {
    return this.watching ? this.recentlyActive(slug) : this.resolveActive(slug);
  }

  /**
   * Hears every change of a tenant's status, from any process (announced on the platform
   * database as it commits), and forgets what it found of that tenant; after a gap in hearing,
   * forgets all. Serving processes watch, so a request costs no registry lookup once a second.
   */
  async watchChanges(target: ConnectionTarget): Promise<() => Promise<void>> {
    const listener = new NotificationListener(target, tenantChangesChannel, {
      notify: (slug) => this.activeSeen.delete(slug),
      resumed: () => this.activeSeen.clear(),
    });
    await listener.start();
    this.watching = true;
    return async () => {
      this.watching = false;
      await listener.close();
    };
  }

  /** The tenant's row as resolveActive found it within `activeSeenMs`, or as it finds it now. */
  private async recentlyActive(slug: string): Promise<TenantRow> {
    const seen = this.activeSeen.get(slug);
    return seen && seen.until > performance.now() ? seen.row : this.resolveActive(slug);
  }

  private unavailable(row: Pick<TenantRow, 'slug' | 'status' | 'status_reason'>): AppError {
    if (row.status === 'suspended') {
      return appError(
        'TENANT_SUSPENDED',
        `The workspace "${row.slug}" is suspended${row.status_reason ? `: ${row.status_reason}` : ''}. Its data is kept; contact your administrator to have it resumed.`,
      );
    }
    return appError('TENANT_NOT_FOUND', `There is no workspace at "${row.slug}". Check the address.`);
  }

  /** True on a fresh platform: no tenant now and none ever created (the audit log remembers). */
  async neverHadTenants(): Promise<boolean> {
    return this.deps.repository.neverHadTenants();
  }

  /** The databases that hold tenants' data (active and suspended tenants), by slug: what a restore drill compares. */
  async databasesWithData(): Promise<Array<{ name: string; database: string }>> {
    const rows = await this.deps.repository.listInStatus(['active', 'suspended']);
    return rows.map((row) => ({ name: row.slug, database: row.database_name }));
  }

  /** The database and role names a tenant of this slug has (or had). */
  namesFor(slug: string): { databaseName: string; roleName: string } {
    return this.deps.provisioner.namesFor(slug);
  }

  async findRow(slug: string): Promise<TenantRow | undefined> {
    return this.deps.repository.findBySlug(slug);
  }

  auditTrail(slug: string): ReturnType<TenancyRepository['auditTrail']> {
    return this.deps.repository.auditTrail(slug);
  }

  private async transition(
    actor: Actor,
    slug: string,
    from: readonly TenantRow['status'][],
    to: TenantRow['status'],
    action: string,
    reason: string | null,
  ): Promise<TenantRow> {
    const { repository } = this.deps;
    try {
      return await repository.transaction(async (tx) => {
        const row = await repository.lockBySlug(tx, slug);
        if (!row) throw notFound(slug);
        if (!from.includes(row.status)) {
          throw appError(
            'TENANT_STATE_CONFLICT',
            `The tenant "${slug}" is ${row.status}; this needs it to be ${from.join(' or ')}.`,
          );
        }
        await repository.setStatus(tx, slug, to, reason);
        await repository.audit(tx, {
          actor: describeActor(actor),
          action,
          tenantSlug: slug,
          detail: reason ? { reason } : {},
        });
        return row;
      });
    } finally {
      // Also once it is made: a lookup while it was being made may have found it as it was.
      this.activeSeen.delete(slug);
    }
  }

  private async undoCreate(slug: string, names: { databaseName: string; roleName: string }): Promise<void> {
    const { repository, provisioner, pools, log } = this.deps;
    try {
      await pools.evict(names.databaseName);
      await provisioner.dropDatabase(names);
      await repository.transaction((tx) => repository.remove(tx, slug));
    } catch (error) {
      // The row stays `provisioning`; recoverInterrupted() finishes the cleanup later.
      log.error({ err: error, slug }, 'could not undo a failed tenant creation; it will be retried');
    }
  }

  private async require(slug: string): Promise<TenantRow> {
    const row = await this.deps.repository.findBySlug(slug);
    if (!row) throw notFound(slug);
    return row;
  }

  /** The registry row as the CLI and API show it. */
  present(row: TenantRow): TenantView {
    const port = this.deps.publicPort && ![80, 443].includes(this.deps.publicPort) ? `:${this.deps.publicPort}` : '';
    return {
      id: row.id,
      slug: row.slug,
      name: row.name,
      region: row.region,
      status: row.status,
      statusReason: row.status_reason,
      schemaVersion: row.schema_version,
      databaseName: row.database_name,
      createdAt: row.created_at.toISOString(),
      url: `${this.deps.publicScheme ?? 'http'}://${row.slug}.${this.deps.baseDomain}${port}`,
    };
  }
}

function notFound(slug: string): AppError {
  return appError(
    'TENANT_NOT_FOUND',
    `No tenant has the slug "${slug}". Run "steadfast tenant list" to see the tenants.`,
  );
}

function invalid(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): AppError {
  const messages = issues.map((issue) => issue.message);
  const aboutSlug = issues.every((issue) => issue.path[0] === 'slug');
  return appError(aboutSlug ? 'TENANT_SLUG_INVALID' : 'VALIDATION_FAILED', `${messages.join('; ')}.`, {
    extensions: { errors: issues.map((issue) => ({ field: issue.path.join('.') || 'slug', message: issue.message })) },
  });
}
