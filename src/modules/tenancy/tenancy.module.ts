import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { gauge } from '../../platform/metrics.js';
import type { SteadfastModule } from '../../platform/module.js';
import { tenancyApi } from './tenancy.routes.js';

/** What tenancy needs of the running platform. */
export interface TenancyModuleContext {
  readonly db: Kysely<PlatformTables>;
}

/** Tenancy's part of the platform: the tenant's entry page, its description in the API, and the tenant count. */
export const tenancyModule: SteadfastModule<TenancyModuleContext> = {
  name: 'tenancy',
  tenantApi: (api) => tenancyApi(api),
  metrics: ({ db }) => [
    gauge(
      'steadfast_tenants',
      'Tenants by status.',
      async (g) => {
        const rows = await db
          .selectFrom('tenants')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute()
          .catch(() => []);
        for (const row of rows) g.set({ status: row.status }, Number(row.n));
      },
      ['status'],
    ),
  ],
};
