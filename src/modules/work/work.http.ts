import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import { validationFailed } from '../../platform/http/validation.js';
import { requireTenant } from '../tenancy/index.js';
import { fingerprintOf, type IdempotentRequest, type StoredResponse } from './work.idempotency.js';
import type { WorkActor } from './work.policy.js';
import type { WorkService } from './work.service.js';
import type { TaskRow } from './work.task-views.js';
import { reachTask } from './work.tasks.js';
import type { WorkDatabase } from './work.tables.js';

/**
 * The work API's edge: who acts (a signed-in member, or staff under a support grant, read-only),
 * the version a change was read at (If-Match), the Idempotency-Key of a POST, and its answer.
 */
export function workActorOf(actor: Actor): WorkActor {
  if (actor.kind === 'support')
    return { userId: '', name: `support:${actor.name}`, workspaceRole: 'support', readOnly: true };
  if (actor.kind !== 'user') throw appError('UNAUTHENTICATED', 'Sign in first: this needs a session or an API token.');
  if (actor.mustSetUpTwoFactor)
    throw appError(
      'TWO_FACTOR_SETUP_REQUIRED',
      'This workspace requires two-factor authentication: set up an authenticator app in your account settings first (POST /api/v1/me/totp).',
    );
  return {
    userId: actor.userId,
    name: actor.name,
    workspaceRole: actor.role as WorkActor['workspaceRole'],
    readOnly: actor.readOnly ?? false,
  };
}

/** The signed-in person or 401, checked before the body is read: nobody's input is parsed for nobody. */
export async function requireWorkActor(request: FastifyRequest): Promise<void> {
  workActorOf(request.actor);
}

export const slugOf = (request: FastifyRequest): string => requireTenant(request).slug;

/** A read about the task a route names (`:task`), once the person may see it: 404 alike for unknown and hidden tasks. */
export function readTask<R>(
  work: WorkService,
  request: FastifyRequest & { params: { task: string } },
  read: (db: Kysely<WorkDatabase>, task: TaskRow) => Promise<R>,
): Promise<R> {
  return work.read(slugOf(request), async (db) =>
    read(db, (await reachTask(db, workActorOf(request.actor), request.params.task)).row),
  );
}

export const etagOf = (version: number): string => `"${version}"`;

/** The version the client read, from `If-Match: "<version>"`; 428 without one: a change never overwrites unseen. */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined)
    throw appError(
      'PRECONDITION_REQUIRED',
      'Send If-Match with the ETag of your last read (e.g. If-Match: "3"), so a change made meanwhile by someone else is not overwritten unseen.',
    );
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(String(header));
  if (!match)
    throw validationFailed([{ in: 'headers', path: 'if-match', message: 'give the ETag of your last read, e.g. "3"' }]);
  return Number(match[1]);
}

/** The POST's Idempotency-Key, if it has one: the key, whose it is, and what the request was. */
export function idempotencyOf(request: FastifyRequest, actor: WorkActor): Omit<IdempotentRequest, 'at'> | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
    throw validationFailed([
      { in: 'headers', path: 'idempotency-key', message: 'give 1 to 255 visible ASCII characters, e.g. a UUID' },
    ]);
  return {
    actor: actor.userId || actor.name,
    key,
    fingerprint: fingerprintOf(request.method, request.url, request.body),
  };
}

/** Sends a change's answer: its status, an ETag when it has a version, and Idempotent-Replayed for a replay. */
export function sendStored(reply: FastifyReply, response: StoredResponse & { replayed: boolean }): FastifyReply {
  const body = response.body as { version?: unknown } | null;
  if (body && typeof body.version === 'number') void reply.header('etag', etagOf(body.version));
  if (response.replayed) void reply.header('idempotent-replayed', 'true');
  return reply.status(response.status).send(response.status === 204 ? null : response.body);
}

/** A value as JSON carries it: dates become ISO 8601 text. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/**
 * The value as JSON carries it, dates as the API writes them (ISO 8601), recursively: an answer is
 * stored for replay as exactly what was sent. A walk rather than a round trip through JSON text,
 * which cost a list of 50 tasks two serialisations and a parse on every answer.
 */
export function json<T>(value: T): Jsonified<T> {
  return jsonValue(value) as Jsonified<T>;
}

function jsonValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  const copy: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key in source) {
    const item = source[key];
    if (item !== undefined && Object.hasOwn(source, key)) copy[key] = jsonValue(item);
  }
  return copy;
}
