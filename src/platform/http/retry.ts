import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { appError, isTransientDatabaseError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Until when this request may wait for a primary when the database goes away under it. */
    databaseDeadline?: number;
  }
  interface FastifyContextConfig {
    /**
     * Whether the route's handler may run again when the database goes away under it (GET, HEAD
     * and OPTIONS always may): `idempotency-key` when the request carries one (the route writes
     * once per key), `always` for a route idempotent by construction.
     */
    repeatable?: 'idempotency-key' | 'always';
  }
}

/** Methods that change nothing (RFC 9110 §9.2.1): their handlers may always run again. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request the server may run again: a safe method, or a route that says it is idempotent (by its Idempotency-Key, or always). */
export function isRepeatable(request: FastifyRequest): boolean {
  if (safeMethods.has(request.method)) return true;
  const repeatable = request.routeOptions.config.repeatable;
  return (
    repeatable === 'always' ||
    (repeatable === 'idempotency-key' && typeof request.headers['idempotency-key'] === 'string')
  );
}

/**
 * Runs `work` and, while it fails because the database went away (a failover, a restart, no
 * primary yet), runs it again after a short pause, until the request's deadline. Work that is
 * not safe to repeat fails at once with a 503 that says it may or may not have been applied.
 */
export async function retryTransient<R>(
  request: FastifyRequest,
  work: () => Promise<R>,
  repeatable = isRepeatable(request),
): Promise<R> {
  const deadline = request.databaseDeadline ?? Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      // The client has gone: nobody waits for the answer (and a resend of its own may be under way).
      if (request.raw.socket?.destroyed) throw error;
      if (!repeatable) {
        throw appError(
          'DATABASE_UNAVAILABLE',
          `The database went away while this ${request.method} request ran (a failover or a restart), so it may or may not have been applied. Check before sending it again${request.routeOptions.config.repeatable === 'idempotency-key' ? ', or send it with an Idempotency-Key header to have the server retry it safely' : ''}.`,
          { cause: error, extensions: { retryable: true } },
        );
      }
      const pause = Math.min(25 * 2 ** attempt, 100, deadline - Date.now());
      if (pause <= 0)
        throw appError(
          'DATABASE_UNAVAILABLE',
          `No database primary answered in time (a failover may be under way): ${(error as Error).message}`,
          { cause: error, extensions: { retryable: true } },
        );
      await sleep(pause);
    }
  }
}

/**
 * Makes every route of `app` ride out a failover: each request may wait `waitSeconds` for a
 * primary, its handler running again while the database is away if the request is safe to
 * repeat. A handler that has started its response is never run again.
 */
export function registerDatabaseRetry(app: FastifyInstance, waitSeconds: number): void {
  app.decorateRequest('databaseDeadline', undefined);
  app.addHook('onRequest', async (request) => {
    request.databaseDeadline = Date.now() + waitSeconds * 1000;
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    // A callback-style handler (a plugin's, such as @fastify/static's) answers through `reply`
    // later and returns nothing: wrapped in an async function, it must hand Fastify the reply.
    const answersLater = handler.constructor.name !== 'AsyncFunction';
    route.handler = async function (request, reply) {
      return retryTransient(request, async () => {
        try {
          const result: unknown = await (handler as RouteHandlerMethod).call(this, request, reply);
          return result === undefined && answersLater ? reply : result;
        } catch (error) {
          // Half a response out: the client must see it fail, not a second answer.
          if (reply.sent) throw Object.assign(new Error('response already started'), { cause: error });
          throw error;
        }
      });
    } as RouteHandlerMethod;
  });
}
