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
 * Knows a workspace's people by their session cookie. A cookie that names no live session is
 * refused (401) rather than treated as anonymous, so a stale tab learns it was signed out; a write
 * with the cookie must carry the session's CSRF token in `X-CSRF-Token`.
 */
export function sessionAuthenticator(identity: IdentityService, secretKey: string): Authenticator {
  return async (request) => {
    const token = request.cookies[cookieName(request)];
    if (!token) return undefined;
    const holder = await identity.holder(requireTenant(request).slug, token);
    if (!holder) {
      // Signing in again over a stale cookie is allowed, and the app's pages load to say so.
      if (isSignIn(request) || !isApi(request)) return undefined;
      throw appError('UNAUTHENTICATED', 'Your session has ended (signed out, or unused for too long). Sign in again.');
    }
    assertCsrf(request, secretKey, holder.sessionId);
    const actor: Actor = {
      kind: 'user',
      name: holder.email,
      userId: holder.userId,
      role: holder.role,
      sessionId: holder.sessionId,
      ...(holder.secondFactorMissing ? { mustSetUpTwoFactor: true } : {}),
    };
    return actor;
  };
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
/** Only the API refuses a stale cookie: pages and assets load, and the app shows the sign-in. */
export const isApi = (request: FastifyRequest): boolean => request.url.startsWith('/api/');

const isSignIn = (request: FastifyRequest): boolean =>
  request.method === 'POST' && signInPaths.has(request.url.split('?')[0]!);

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
