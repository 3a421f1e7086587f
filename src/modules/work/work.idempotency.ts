import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import type { WorkDatabase } from './work.tables.js';

/** A stored answer to a POST, replayed to a retry that carries the same Idempotency-Key. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** How long a key is remembered: a client retrying after a timeout or a failover does so within minutes, not days. */
export const idempotencyHours = 24;

/** The request a key was first used for: method, path and body; a key reused for another is refused. */
export function fingerprintOf(method: string, url: string, body: unknown): string {
  const hash = createHash('sha256').update(`${method} ${url}\n`);
  // A file's bytes are hashed as they are; anything else as its JSON.
  return (Buffer.isBuffer(body) ? hash.update(body) : hash.update(JSON.stringify(body ?? null))).digest('base64url');
}

export interface IdempotentRequest {
  readonly actor: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly at: Date;
}

/**
 * Runs `work` once per key, in the transaction that makes what it makes: the key's row is inserted
 * first (a concurrent request with the same key waits on it, then finds the stored answer), the
 * answer stored with it, and all of it commits or none does, so a retry after a failover either
 * finds the answer or runs again on a database that has nothing of the first try.
 */
export async function oncePerKey(
  tx: Transaction<WorkDatabase>,
  request: IdempotentRequest,
  work: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const inserted = await tx
    .insertInto('idempotency_keys')
    .values({
      actor: request.actor,
      key: request.key,
      fingerprint: request.fingerprint,
      created_at: request.at,
      expires_at: new Date(request.at.getTime() + idempotencyHours * 3600_000),
    })
    .onConflict((conflict) => conflict.columns(['actor', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!inserted) return { ...(await stored(tx, request)), replayed: true };
  const response = await work();
  await tx
    .updateTable('idempotency_keys')
    .set({
      status: response.status,
      body: JSON.stringify(response.body ?? null),
      headers: JSON.stringify(response.headers ?? {}),
    })
    .where('actor', '=', request.actor)
    .where('key', '=', request.key)
    .execute();
  return { ...response, replayed: false };
}

async function stored(tx: Transaction<WorkDatabase>, request: IdempotentRequest): Promise<StoredResponse> {
  const row = await tx
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('actor', '=', request.actor)
    .where('key', '=', request.key)
    .executeTakeFirstOrThrow();
  if (row.fingerprint !== request.fingerprint)
    throw appError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used for a different request (another path or body). Use a new key for a new request.',
    );
  if (row.status === null)
    throw appError(
      'IDEMPOTENCY_KEY_IN_USE',
      'A request with this Idempotency-Key is still running: wait for its answer.',
    );
  return { status: row.status, body: row.body, headers: row.headers ?? {} };
}

/** Forgets keys past their time; the leader runs it hourly. */
export async function pruneIdempotencyKeys(db: Kysely<WorkDatabase>, now: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
