import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import type { Authenticator, RequestGuard } from '../../platform/http/auth.js';
import { requireTenant } from '../tenancy/index.js';
import { AllowList } from './identity.allow-list.js';
import { assertCsrf, cookieName, isApi } from './identity.auth.js';
import type { StaffService } from './identity.staff.js';
import type { SupportService } from './identity.support.js';
import type { SupportActor } from './identity.policy.js';
import { csrfToken } from './identity.tokens.js';

/** The console's routes that work without a session: a stale cookie on them is ignored, not refused. */
const consoleOpenPaths = new Set(['/api/v1/console/session', '/api/v1/console/setup', '/api/v1/console/setup/open']);
export const consoleMePath = '/api/v1/console/me';

/**
 * Knows the platform's staff on the console by their session cookie; a write must carry the
 * session's CSRF token. A cookie naming no live session is refused (401), except on sign-in and setup.
 */
export function staffAuthenticator(staff: StaffService, secretKey: string): Authenticator {
  return async (request) => {
    const token = request.cookies[cookieName(request, 'steadfast_console')];
    if (!token) return undefined;
    const holder = await staff.holder(token);
    if (!holder) {
      if (!isApi(request) || (request.method === 'POST' && consoleOpenPaths.has(request.url.split('?')[0]!)))
        return undefined;
      throw appError(
        'UNAUTHENTICATED',
        'Your console session has ended (signed out, or unused for 30 minutes). Sign in again.',
      );
    }
    assertCsrf(request, secretKey, holder.sessionId, consoleMePath);
    const actor: Actor = { kind: 'staff', name: holder.email, staffId: holder.staffId, sessionId: holder.sessionId };
    return actor;
  };
}

/**
 * Knows staff inside a workspace under a live support grant, by the support cookie its entry link
 * set. The session dies with the grant: expired, ended or revoked, the cookie is refused.
 */
export function supportAuthenticator(support: SupportService, secretKey: string): Authenticator {
  return async (request) => {
    const token = request.cookies[cookieName(request, 'steadfast_support')];
    if (!token) return undefined;
    const holder = await support.holder(requireTenant(request).slug, token);
    if (!holder) {
      if (!isApi(request) || (request.method === 'POST' && request.url.split('?')[0] === '/api/v1/support/session'))
        return undefined;
      throw appError(
        'UNAUTHENTICATED',
        'Your support access to this workspace has ended (the grant expired or was revoked). Ask for a new grant in the console.',
      );
    }
    assertCsrf(request, secretKey, holder.sessionId);
    const actor: Actor = {
      kind: 'support',
      name: holder.email,
      staffId: holder.staffId,
      grantId: holder.grantId,
      sessionId: holder.sessionId,
      expiresAt: holder.expiresAt,
      reason: holder.reason,
    };
    return actor;
  };
}

/** The console's optional IP allow-list (config staffAllowList): an address outside it gets a 403 before anything else. */
export function staffAllowListGuard(entries: readonly string[]): RequestGuard {
  const list = new AllowList([...entries]);
  return (request: FastifyRequest) => {
    if (list.allows(request.ip)) return;
    throw appError(
      'IP_NOT_ALLOWED',
      `The staff console is reachable only from the addresses in staffAllowList, and ${request.ip} is not one of them.`,
    );
  };
}

/** What `GET /me` answers for support inside the workspace: who, under which grant, until when. */
export function supportMe(
  actor: Pick<SupportActor, 'staffId' | 'name' | 'grantId' | 'reason' | 'expiresAt' | 'sessionId'>,
  secretKey: string,
) {
  return {
    user: {
      id: actor.staffId,
      email: actor.name,
      name: 'Steadfast support',
      role: 'admin' as const,
      createdAt: new Date(0).toISOString(),
    },
    csrfToken: csrfToken(secretKey, actor.sessionId),
    twoFactor: { totp: false, recoveryCodesLeft: 0, passkeys: 0, setupRequired: false },
    support: { grantId: actor.grantId, reason: actor.reason, expiresAt: actor.expiresAt.toISOString() },
  };
}
