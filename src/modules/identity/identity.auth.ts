import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import type { Authenticator, RequestGuard } from '../../platform/http/auth.js';
import { requireTenant } from '../tenancy/index.js';
import type { IdentityService } from './identity.service.js';
import { csrfToken, sameSecret } from './identity.tokens.js';

/**
 * The cookies sessions ride in: a workspace member's (`steadfast_session`), support's inside a
 * workspace (`steadfast_support`), staff's on the console (`steadfast_console`, SameSite=Strict).
 * Over TLS each is `__Host-` prefixed and `Secure` (the browser then refuses it from any other
 * origin, subdomains included); over plain HTTP (a laptop's demo) it cannot be.
 */
export type SessionCookie = 'steadfast_session' | 'steadfast_support' | 'steadfast_console';

export function cookieName(request: FastifyRequest, cookie: SessionCookie = 'steadfast_session'): string {
  return request.protocol === 'https' ? `__Host-${cookie}` : cookie;
}

const cookieOptions = (request: FastifyRequest, cookie: SessionCookie) => ({
  path: '/',
  httpOnly: true,
  sameSite: cookie === 'steadfast_console' ? ('strict' as const) : ('lax' as const),
  secure: request.protocol === 'https',
});

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  cookie: SessionCookie = 'steadfast_session',
): void {
  reply.setCookie(cookieName(request, cookie), token, cookieOptions(request, cookie));
}

export function clearSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  cookie: SessionCookie = 'steadfast_session',
): void {
  reply.clearCookie(cookieName(request, cookie), cookieOptions(request, cookie));
}

export const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The header a cookie-authenticated write carries its CSRF token in (the app reads the token from GET /me). */
export const csrfHeader = 'x-csrf-token';

/**
 * Knows a caller by a session cookie (a member's, support's, staff's): `find` looks the token up.
 * A cookie that names no live session is refused on the API (401 with `ended`), so a stale tab
 * learns it was signed out; it is ignored on the routes in `openPaths` (signing in again over it)
 * and on pages (they load and the app says what ended). A write with the cookie must carry the
 * session's CSRF token in `X-CSRF-Token`.
 */
export function cookieAuthenticator<H extends { readonly sessionId: string }>(options: {
  cookie: SessionCookie;
  find: (request: FastifyRequest, token: string) => Promise<H | undefined>;
  actor: (holder: H) => Actor;
  openPaths: ReadonlySet<string>;
  ended: string;
  secretKey: string;
  mePath?: string;
}): Authenticator {
  return async (request) => {
    const token = request.cookies[cookieName(request, options.cookie)];
    if (!token) return undefined;
    const holder = await options.find(request, token);
    if (!holder) {
      const open = request.method === 'POST' && options.openPaths.has(request.url.split('?')[0]!);
      if (open || !request.url.startsWith('/api/')) return undefined;
      throw appError('UNAUTHENTICATED', options.ended);
    }
    assertCsrf(request, options.secretKey, holder.sessionId, options.mePath);
    return options.actor(holder);
  };
}

/** Knows a workspace's people by their session cookie. */
export function sessionAuthenticator(identity: IdentityService, secretKey: string): Authenticator {
  return cookieAuthenticator({
    cookie: 'steadfast_session',
    find: (request, token) => identity.holder(requireTenant(request).slug, token),
    actor: (holder) => ({
      kind: 'user',
      name: holder.email,
      userId: holder.userId,
      role: holder.role,
      sessionId: holder.sessionId,
      ...(holder.secondFactorMissing ? { mustSetUpTwoFactor: true } : {}),
    }),
    openPaths: signInPaths,
    ended: 'Your session has ended (signed out, or unused for too long). Sign in again.',
    secretKey,
  });
}

/**
 * A write made with a session cookie must carry the session's CSRF token in X-CSRF-Token (the
 * app reads it from the `me` route of its host).
 */
export function assertCsrf(request: FastifyRequest, secretKey: string, sessionId: string, mePath = '/api/v1/me'): void {
  if (safeMethods.has(request.method)) return;
  const given = request.headers[csrfHeader];
  if (typeof given !== 'string' || !sameSecret(given, csrfToken(secretKey, sessionId)))
    throw appError(
      'CSRF_REJECTED',
      `A change made with a session cookie must carry the session's CSRF token in the ${csrfHeader} header (GET ${mePath} gives it).`,
    );
}

/** Routes that work without a session: a stale cookie on them is ignored, not refused. */
const signInPaths = new Set([
  '/api/v1/session',
  '/api/v1/session/second-factor',
  '/api/v1/session/second-factor/passkey-options',
  '/api/v1/session/passkey-options',
  '/api/v1/session/passkey',
  '/api/v1/invitations/accept',
  '/api/v1/password-resets',
  '/api/v1/password-resets/complete',
]);

/**
 * A workspace's IP allow-list, on its app and its API alike: an address outside it gets a 403
 * naming the address (behind a proxy, the one the trusted proxies report in X-Forwarded-For).
 */
export function ipAllowListGuard(identity: IdentityService): RequestGuard {
  return async (request) => {
    const tenant = requireTenant(request);
    if (await identity.allowsAddress(tenant.slug, request.ip)) return;
    throw appError(
      'IP_NOT_ALLOWED',
      `${tenant.name} is reachable only from the addresses its admins allow, and ${request.ip} is not one of them. Ask an admin of the workspace to add it.`,
    );
  };
}
