import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { IdentityDatabase } from './identity.tables.js';

/** What happened, to whom, by whom: one entry of a workspace's audit log. */
export interface AuditEvent {
  readonly actor: string;
  /** Dotted, lower case: `session.signed_in`, `user.role_changed`. */
  readonly action: string;
  readonly target?: string | undefined;
  readonly ip?: string | undefined;
  readonly detail?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEvent, 'target' | 'ip'>> {
  readonly id: number;
  readonly at: Date;
  readonly target: string | null;
  readonly ip: string | null;
}

/** The chain's first link: the hash an empty log ends with. */
export const genesisHash = Buffer.alloc(32);

/**
 * The entry's hash: SHA-256 over the previous hash and the entry's fields in a fixed order, so
 * changing any field of any entry, or removing one, breaks every link after it.
 */
export function entryHash(prev: Buffer, entry: AuditEntry): Buffer {
  const canonical = JSON.stringify([
    entry.id,
    entry.at.toISOString(),
    entry.actor,
    entry.action,
    entry.target,
    entry.ip,
    sortedKeys(entry.detail),
  ]);
  return createHash('sha256').update(prev).update(canonical).digest();
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * Appends one entry, chained to the last. Appends are serialised by a transaction-scoped
 * advisory lock, so two writers never chain to the same predecessor; call it inside the
 * transaction that makes the change it records, so the change and its entry commit together.
 */
export async function appendAudit(db: Kysely<IdentityDatabase>, event: AuditEvent, at: Date): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('steadfast.audit_log'))`.execute(db);
  const last = await db
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const prev = last?.hash ?? genesisHash;
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id`.execute(
    db,
  );
  const id = Number(rows[0]!.id);
  const entry = {
    id,
    at,
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    ip: event.ip ?? null,
    detail: event.detail ?? {},
  };
  await sql`
    INSERT INTO audit_log (id, at, actor, action, target, ip, detail, prev_hash, hash)
    OVERRIDING SYSTEM VALUE
    VALUES (${id}, ${at}, ${entry.actor}, ${entry.action}, ${entry.target}, ${entry.ip}, ${JSON.stringify(entry.detail)},
            ${prev}, ${entryHash(prev, entry)})`.execute(db);
}

/** Where a log's chain first breaks: the entry altered, or the one after entries removed; undefined when intact. */
export interface ChainBreak {
  readonly id: number;
  readonly reason: string;
}

/** Walks the whole log in order, recomputing each link. */
export async function verifyAuditChain(
  db: Kysely<IdentityDatabase>,
): Promise<{ entries: number; broken?: ChainBreak }> {
  let prev: Buffer = genesisHash;
  let previousId: number | undefined;
  let entries = 0;
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (page.length === 0) return { entries };
    for (const row of page) {
      entries++;
      const id = row.id;
      if (!row.prev_hash.equals(prev))
        return {
          entries,
          broken: {
            id: row.id,
            reason:
              previousId !== undefined && id !== previousId + 1
                ? `entries ${previousId + 1} to ${id - 1} were removed`
                : 'it does not follow the entry before it (an entry before it was removed or altered)',
          },
        };
      const hash = entryHash(prev, { ...row, detail: row.detail });
      if (!hash.equals(row.hash))
        return { entries, broken: { id: row.id, reason: 'it was altered after it was written' } };
      prev = row.hash;
      previousId = id;
      after = row.id;
    }
  }
}
