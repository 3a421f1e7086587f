import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { PlatformTables, TenantStatus, TenantsTable } from '../../platform/db/schema.js';
import { appendPlatformAudit } from '../../platform/db/platform-audit.js';

export type TenantRow = Selectable<TenantsTable>;
type Db = Kysely<PlatformTables> | Transaction<PlatformTables>;

/** The tenant registry and the platform audit log, in the platform database. */
export class TenancyRepository {
  constructor(private readonly db: Kysely<PlatformTables>) {}

  transaction<R>(work: (tx: Transaction<PlatformTables>) => Promise<R>): Promise<R> {
    return this.db.transaction().execute(work);
  }

  findBySlug(slug: string, db: Db = this.db): Promise<TenantRow | undefined> {
    return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  /** Locks the tenant's row until the transaction ends, so two commands cannot change it at once. */
  lockBySlug(tx: Transaction<PlatformTables>, slug: string): Promise<TenantRow | undefined> {
    return tx.selectFrom('tenants').selectAll().where('slug', '=', slug).forUpdate().executeTakeFirst();
  }

  async neverHadTenants(): Promise<boolean> {
    const tenant = await this.db.selectFrom('tenants').select('id').limit(1).executeTakeFirst();
    const created = await this.db
      .selectFrom('platform_audit')
      .select('id')
      .where('action', '=', 'tenant.created')
      .limit(1)
      .executeTakeFirst();
    return !tenant && !created;
  }

  /** How many tenants there are, in all and by status. */
  async countByStatus(): Promise<{ total: number; byStatus: Record<string, number> }> {
    const rows = await this.db
      .selectFrom('tenants')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return {
      total: rows.reduce((sum, row) => sum + Number(row.n), 0),
      byStatus: Object.fromEntries(rows.map((row) => [row.status, Number(row.n)])),
    };
  }

  list(): Promise<TenantRow[]> {
    return this.db.selectFrom('tenants').selectAll().orderBy('slug').execute();
  }

  listInStatus(statuses: readonly TenantStatus[]): Promise<TenantRow[]> {
    return this.db
      .selectFrom('tenants')
      .selectAll()
      .where('status', 'in', [...statuses])
      .orderBy('slug')
      .execute();
  }

  insertProvisioning(
    tx: Transaction<PlatformTables>,
    row: { slug: string; name: string; region: string; databaseName: string; roleName: string },
  ): Promise<TenantRow> {
    return tx
      .insertInto('tenants')
      .values({
        slug: row.slug,
        name: row.name,
        region: row.region,
        status: 'provisioning',
        database_name: row.databaseName,
        role_name: row.roleName,
        schema_version: null,
        status_reason: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async setStatus(db: Db, slug: string, status: TenantStatus, reason: string | null = null): Promise<void> {
    await db
      .updateTable('tenants')
      .set({ status, status_reason: reason, updated_at: new Date() })
      .where('slug', '=', slug)
      .execute();
    await announceChange(db, slug);
  }

  /** Marks a creation finished; false if the row is no longer `provisioning` (a delete or recovery took it). */
  async finishProvisioning(tx: Transaction<PlatformTables>, slug: string, version: string): Promise<boolean> {
    const result = await tx
      .updateTable('tenants')
      .set({ status: 'active', schema_version: version, updated_at: new Date() })
      .where('slug', '=', slug)
      .where('status', '=', 'provisioning')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setSchemaVersion(slug: string, version: string, db: Db = this.db): Promise<void> {
    await db
      .updateTable('tenants')
      .set({ schema_version: version, updated_at: new Date() })
      .where('slug', '=', slug)
      .execute();
  }

  async remove(db: Db, slug: string): Promise<void> {
    await db.deleteFrom('tenants').where('slug', '=', slug).execute();
    await announceChange(db, slug);
  }

  async audit(
    db: Db,
    entry: { actor: string; action: string; tenantSlug: string | null; detail?: Record<string, unknown> },
  ): Promise<void> {
    await appendPlatformAudit(db, entry);
  }

  auditTrail(
    slug: string,
  ): Promise<Array<{ at: Date; actor: string; action: string; detail: Record<string, unknown> }>> {
    return this.db
      .selectFrom('platform_audit')
      .select(['at', 'actor', 'action', 'detail'])
      .where('tenant_slug', '=', slug)
      .orderBy('id')
      .execute();
  }
}

/** The channel every change of a tenant's status is announced on, with its slug, as its transaction commits. */
export const tenantChangesChannel = 'steadfast_tenant_changes';

async function announceChange(db: Db, slug: string): Promise<void> {
  await sql`SELECT pg_notify(${tenantChangesChannel}, ${slug})`.execute(db);
}
