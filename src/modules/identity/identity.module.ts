import { fileURLToPath } from 'node:url';
import type { Config } from '../../platform/config/config.js';
import type { SteadfastModule } from '../../platform/module.js';
import { ipAllowListGuard, sessionAuthenticator } from './identity.auth.js';
import { tokenAuthenticator } from './identity.bearer.js';
import { adminApi } from './identity.admin-routes.js';
import { identityApi } from './identity.routes.js';
import { accountApi } from './identity.account-routes.js';
import { invitationApi } from './identity.invitation-routes.js';
import { tokenApi } from './identity.token-routes.js';
import type { IdentityService } from './identity.service.js';

/** What identity needs of the running platform. */
export interface IdentityModuleContext {
  readonly identity: IdentityService;
  /** The platform's secret key: CSRF tokens are derived from it. */
  readonly database: { readonly secretKey: string };
  readonly config: Pick<Config, 'signInRateLimitPerMinute'>;
}

/** A workspace's people: accounts, sign-in, sessions and the audit log, in the workspace's own database. */
export const identityModule: SteadfastModule<IdentityModuleContext> = {
  name: 'identity',
  migrations: { tenant: fileURLToPath(new URL('./migrations/tenant', import.meta.url)) },
  tenantApi: (api, { identity, database, config }) => {
    const settings = { secretKey: database.secretKey, signInRateLimitPerMinute: config.signInRateLimitPerMinute };
    identityApi(api, identity, settings);
    accountApi(api, identity, settings);
    invitationApi(api, identity, settings);
    tokenApi(api, identity);
    adminApi(api, identity);
  },
  tenantGuards: ({ identity }) => [ipAllowListGuard(identity)],
  authenticators: ({ identity, database }) => [
    tokenAuthenticator(identity),
    sessionAuthenticator(identity, database.secretKey),
  ],
};
