import type { Kysely } from 'kysely';
import type { PlatformTables } from './schema.js';

/** One entry of the platform audit log: who did what, to which tenant if any. */
export interface PlatformAuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly tenantSlug: string | null;
  readonly detail?: Record<string, unknown> | undefined;
  /** Default: the database's now(). */
  readonly at?: Date | undefined;
}

/**
 * Appends to `platform_audit`; pass the transaction of the change it records, so both commit
 * together. Any view of the platform database will do (a module's adds its own tables).
 */
export async function appendPlatformAudit<DB extends PlatformTables>(
  db: Kysely<DB>,
  entry: PlatformAuditEntry,
): Promise<void> {
  // Kysely's types are invariant in the tables: a wider view is the same database.
  await (db as unknown as Kysely<PlatformTables>)
    .insertInto('platform_audit')
    .values({
      ...(entry.at ? { at: entry.at } : {}),
      actor: entry.actor,
      action: entry.action,
      tenant_slug: entry.tenantSlug,
      detail: JSON.stringify(entry.detail ?? {}) as never,
    })
    .execute();
}
