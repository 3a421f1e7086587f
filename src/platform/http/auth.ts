import type { FastifyInstance, FastifyRequest } from 'fastify';
import { anonymous, type Actor } from '../actor.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sends this request: set by the authentication hook of the tenant scope, `anonymous` until one knows it. */
    actor: Actor;
  }
}

/**
 * Knows some callers: the actor a request proves to be (a token, a session), or undefined when
 * the request carries nothing this authenticator reads. One that finds a credential it reads
 * but refuses throws the catalogue's UNAUTHENTICATED.
 */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | undefined> | Actor | undefined;

/**
 * The authentication seam of a scope: every request gets its `request.actor` from the first
 * authenticator that knows it, else `anonymous`. Routes decide what an actor may do through
 * their module's policies; this hook only says who is asking. It runs before the body is parsed
 * (preParsing) and after every onRequest hook, route-level ones included: the per-address rate
 * limit (a route-level onRequest hook) counts a request before any credential is looked up, so a
 * flood of wrong tokens is limited too. A route's own policy hook goes in its preParsing.
 */
export function registerAuthentication(app: FastifyInstance, authenticators: readonly Authenticator[]): void {
  // Fastify decorates with a primitive; each request gets its own actor in the hook.
  app.decorateRequest('actor', null as never);
  app.addHook('preParsing', async (request, _reply, payload) => {
    request.actor = anonymous;
    for (const authenticate of authenticators) {
      const actor = await authenticate(request);
      if (actor) {
        request.actor = actor;
        break;
      }
    }
    return payload;
  });
}

/**
 * Refuses requests whoever sends them (a workspace's IP allow-list): throws a catalogue error to
 * refuse, returns to let the request on. Runs as soon as the tenant is known, before the rate
 * limit and authentication.
 */
export type RequestGuard = (request: FastifyRequest) => Promise<void> | void;

export function registerGuards(app: FastifyInstance, guards: readonly RequestGuard[]): void {
  if (guards.length === 0) return;
  app.addHook('onRequest', async (request) => {
    for (const guard of guards) await guard(request);
  });
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}
