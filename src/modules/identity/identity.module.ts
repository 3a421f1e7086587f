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
import { consoleApi } from './identity.console-routes.js';
import { staffAllowListGuard, staffAuthenticator, supportAuthenticator } from './identity.staff-auth.js';
import type { StaffService } from './identity.staff.js';
import type { SupportService } from './identity.support.js';
import { supportApi } from './identity.support-routes.js';
import type { TenantView } from '../tenancy/index.js';

/** What identity needs of the running platform. */
export interface IdentityModuleContext {
  readonly identity: IdentityService;
  /** The platform's staff and their support access to workspaces, in the platform database. */
  readonly staff: StaffService;
  readonly support: SupportService;
  readonly tenancy: { list(): Promise<TenantView[]> };
  /** The platform's secret key: CSRF tokens are derived from it. */
  readonly database: { readonly secretKey: string };
  readonly config: Pick<Config, 'signInRateLimitPerMinute' | 'staffAllowList'>;
}

/**
 * A workspace's people (accounts, sign-in, sessions and the audit log, in the workspace's own
 * database), and the platform's staff (the console, and support grants into a workspace).
 */
export const identityModule: SteadfastModule<IdentityModuleContext> = {
  name: 'identity',
  migrations: {
    platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)),
    tenant: fileURLToPath(new URL('./migrations/tenant', import.meta.url)),
  },
  tenantApi: (api, { identity, support, database, config }) => {
    const settings = { secretKey: database.secretKey, signInRateLimitPerMinute: config.signInRateLimitPerMinute };
    identityApi(api, identity, settings);
    accountApi(api, identity, settings);
    invitationApi(api, identity, settings);
    tokenApi(api, identity);
    adminApi(api, identity);
    supportApi(api, support, settings);
  },
  tenantGuards: ({ identity }) => [ipAllowListGuard(identity)],
  authenticators: ({ identity, support, database }) => [
    tokenAuthenticator(identity),
    supportAuthenticator(support, database.secretKey),
    sessionAuthenticator(identity, database.secretKey),
  ],
  consoleApi: (api, { staff, support, tenancy, database, config }) =>
    consoleApi(api, {
      staff,
      support,
      workspaces: () => tenancy.list(),
      secretKey: database.secretKey,
      signInRateLimitPerMinute: config.signInRateLimitPerMinute,
    }),
  consoleGuards: ({ config }) => [staffAllowListGuard(config.staffAllowList)],
  consoleAuthenticators: ({ staff, database }) => [staffAuthenticator(staff, database.secretKey)],
};
