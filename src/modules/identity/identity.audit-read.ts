import type { Kysely } from 'kysely';
import type { AuditEntry } from './identity.audit.js';
import type { IdentityDatabase } from './identity.tables.js';

/** Which entries to read: an action (or a prefix ending in a dot), an actor, a time range, a page. */
export interface AuditFilter {
  readonly action?: string | undefined;
  readonly actor?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Entries with a smaller id than this (the next page). */
  readonly before?: number | undefined;
  readonly limit: number;
}

/** The audit log, newest first, filtered. */
export async function readAudit(db: Kysely<IdentityDatabase>, filter: AuditFilter): Promise<AuditEntry[]> {
  let query = db
    .selectFrom('audit_log')
    .select(['id', 'at', 'actor', 'action', 'target', 'ip', 'detail'])
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.action?.endsWith('.')) query = query.where('action', 'like', `${filter.action.replaceAll('_', '\\_')}%`);
  else if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.from) query = query.where('at', '>=', new Date(filter.from));
  if (filter.to) query = query.where('at', '<', new Date(filter.to));
  if (filter.before) query = query.where('id', '<', filter.before);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, detail: row.detail }));
}
