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

interface Waiting {
  readonly resolve: (count: { current: number; ttl: number }) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The shared counts in the platform database's `rate_limits`: one statement adds hits and starts
 * a new window once the last one is over, so every process sharing the database sees the same
 * counts. A process sends one statement per key at a time; the hits of that key that arrive
 * meanwhile go together in the next one, each answered with its own place in the count. One row
 * per client address takes every request of that address, and each statement waits for the
 * last one's commit: hit by hit, that capped an address at a few hundred requests a second
 * across all processes, and a flood of requests cost as many statements.
 */
export class SharedRateCounts {
  private readonly lines = new Map<string, Waiting[]>();

  constructor(private readonly pool: pg.Pool) {}

  incr(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    return new Promise((resolve, reject) => {
      const line = this.lines.get(key);
      if (line) return void line.push({ resolve, reject });
      this.lines.set(key, [{ resolve, reject }]);
      void this.send(key, windowMs);
    });
  }

  /** Sends the key's waiting hits, a batch per statement, until none wait. */
  private async send(key: string, windowMs: number): Promise<void> {
    for (let line = this.lines.get(key)!; line.length > 0; line = this.lines.get(key)!) {
      const batch = line.splice(0);
      try {
        const { hits, ttl } = await this.add(key, batch.length, windowMs);
        batch.forEach((waiting, i) => waiting.resolve({ current: hits - batch.length + 1 + i, ttl }));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error as Error);
      }
    }
    this.lines.delete(key);
  }

  private async add(key: string, hits: number, windowMs: number): Promise<{ hits: number; ttl: number }> {
    const { rows } = await this.pool.query<{ hits: number; ttl: number }>(
      `INSERT INTO rate_limits AS r (key, hits, resets_at)
       VALUES ($1, $3, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.resets_at <= clock_timestamp() THEN EXCLUDED.hits ELSE r.hits + EXCLUDED.hits END,
         resets_at = CASE WHEN r.resets_at <= clock_timestamp() THEN EXCLUDED.resets_at ELSE r.resets_at END
       RETURNING hits, greatest(0, ceil(extract(epoch FROM resets_at - clock_timestamp()) * 1000))::int AS ttl`,
      [key, windowMs, hits],
    );
    return rows[0]!;
  }
}

/** A store for @fastify/rate-limit on the shared counts; a route with a limit of its own counts apart. */
export function postgresRateLimitStore(pool: pg.Pool): FastifyRateLimitStoreCtor {
  const counts = new SharedRateCounts(pool);
  class PostgresRateLimitStore implements FastifyRateLimitStore {
    constructor(private readonly prefix = '') {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      counts.incr(`${this.prefix}${key}`, timeWindow).then(
        (result) => callback(null, result),
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
