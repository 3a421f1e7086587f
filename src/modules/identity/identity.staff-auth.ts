import type { FastifyRequest } from 'fastify';
import { appError } from '../../platform/errors.js';
import type { Authenticator, RequestGuard } from '../../platform/http/auth.js';
import { requireTenant } from '../tenancy/index.js';
import { AllowList } from './identity.allow-list.js';
import { cookieAuthenticator } from './identity.auth.js';
import type { StaffService } from './identity.staff.js';
import type { SupportService } from './identity.support.js';
import type { SupportActor } from './identity.policy.js';
import { csrfToken } from './identity.tokens.js';

/** The console's routes that work without a session: a stale cookie on them is ignored, not refused. */
const consoleOpenPaths = new Set(['/api/v1/console/session', '/api/v1/console/setup', '/api/v1/console/setup/open']);

/** Knows the platform's staff on the console by their session cookie. */
export function staffAuthenticator(staff: StaffService, secretKey: string): Authenticator {
  return cookieAuthenticator({
    cookie: 'steadfast_console',
    find: (_request, token) => staff.holder(token),
    actor: (holder) => ({ kind: 'staff', name: holder.email, staffId: holder.staffId, sessionId: holder.sessionId }),
    openPaths: consoleOpenPaths,
    ended: 'Your console session has ended (signed out, or unused for 30 minutes). Sign in again.',
    secretKey,
    mePath: '/api/v1/console/me',
  });
}

/**
 * Knows staff inside a workspace under a live support grant, by the support cookie its entry link
 * set. The session dies with the grant: expired, ended or revoked, the cookie is refused.
 */
export function supportAuthenticator(support: SupportService, secretKey: string): Authenticator {
  return cookieAuthenticator({
    cookie: 'steadfast_support',
    find: (request, token) => support.holder(requireTenant(request).slug, token),
    actor: (holder) => ({
      kind: 'support',
      name: holder.email,
      staffId: holder.staffId,
      grantId: holder.grantId,
      sessionId: holder.sessionId,
      expiresAt: holder.expiresAt,
      reason: holder.reason,
    }),
    openPaths: new Set(['/api/v1/support/session']),
    ended:
      'Your support access to this workspace has ended (the grant expired or was revoked). Ask for a new grant in the console.',
    secretKey,
  });
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
