import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import { bearerToken, type Authenticator } from '../../platform/http/auth.js';
import { requireTenant } from '../tenancy/index.js';
import type { IdentityService } from './identity.service.js';
import { tokenPrefix } from './identity.tokens-store.js';

/**
 * Knows a workspace's people by a personal API token in `Authorization: Bearer`. Tokens of other
 * kinds (a service's) are left to their own authenticator; one of ours that is unknown, expired
 * or revoked is a 401, never anonymous. A bearer request needs no CSRF token: a browser never
 * sends the header by itself.
 */
export function tokenAuthenticator(identity: IdentityService): Authenticator {
  return async (request) => {
    const token = bearerToken(request);
    if (!token?.startsWith(tokenPrefix)) return undefined;
    const holder = await identity.tokenHolder(requireTenant(request).slug, token, request.ip);
    if (!holder)
      throw appError(
        'UNAUTHENTICATED',
        'This API token is unknown, expired or revoked. Make a new one in your account settings.',
      );
    const actor: Actor = {
      kind: 'user',
      name: holder.email,
      userId: holder.userId,
      role: holder.role,
      readOnly: holder.scope === 'read',
      ...(holder.secondFactorMissing ? { mustSetUpTwoFactor: true } : {}),
    };
    return actor;
  };
}
