import fastifyRateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { PlatformTables } from '../db/schema.js';
import type pg from 'pg';
import { appError } from '../errors.js';

export interface RateLimitSettings {
  /** Requests one client address may make in a window, on routes that set no limit of their own. */
  readonly max: number;
  readonly windowMs: number;
}

/**
 * A store for @fastify/rate-limit in the platform database's `rate_limits`: one statement per
 * request counts the hit and starts a new window once the last one is over, so every process
 * sharing the database sees the same counts. A route with a limit of its own counts apart.
 */
export function postgresRateLimitStore(pool: pg.Pool): FastifyRateLimitStoreCtor {
  class PostgresRateLimitStore implements FastifyRateLimitStore {
    constructor(private readonly prefix = '') {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      pool
        .query<{ hits: number; ttl: number }>(
          `INSERT INTO rate_limits AS r (key, hits, resets_at)
           VALUES ($1, 1, clock_timestamp() + $2 * interval '1 millisecond')
           ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN r.resets_at <= clock_timestamp() THEN 1 ELSE r.hits + 1 END,
             resets_at = CASE WHEN r.resets_at <= clock_timestamp() THEN EXCLUDED.resets_at ELSE r.resets_at END
           RETURNING hits, greatest(0, ceil(extract(epoch FROM resets_at - clock_timestamp()) * 1000))::int AS ttl`,
          [`${this.prefix}${key}`, timeWindow],
        )
        .then(
          ({ rows }) => callback(null, { current: rows[0]!.hits, ttl: rows[0]!.ttl }),
          (error: Error) => callback(error),
        );
    }

    child(route: { method: string | string[]; url: string }): FastifyRateLimitStore {
      return new PostgresRateLimitStore(`${[route.method].flat().join(',')} ${route.url}|`);
    }
  }
  return PostgresRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}

/**
 * Per-address rate limiting for a scope: `settings` for every route, or a route's own
 * `config.rateLimit`; answered 429 with Retry-After and the RateLimit-* headers of the IETF draft,
 * as a problem document. If the count cannot be kept (the database is away), the request passes:
 * the limit protects the service, and must not take it down with the database.
 */
export async function registerRateLimit(
  scope: FastifyInstance,
  pool: pg.Pool,
  settings: RateLimitSettings,
): Promise<void> {
  await scope.register(fastifyRateLimit, {
    global: true,
    max: settings.max,
    timeWindow: settings.windowMs,
    store: postgresRateLimitStore(pool),
    skipOnError: true,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      appError(
        'TOO_MANY_ATTEMPTS',
        `Too many requests from your address. Try again in ${Math.ceil(context.ttl / 1000)} s.`,
        {
          extensions: { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        },
      ),
  });
}

/** Deletes the counts of windows that are over (the worker's `rate_limits.prune` schedule). */
export async function pruneRateLimits(db: Kysely<PlatformTables>): Promise<number> {
  const result = await sql`DELETE FROM rate_limits WHERE resets_at < clock_timestamp()`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
