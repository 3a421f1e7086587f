import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from './tenancy.context.js';

const tenantDescription = z
  .object({
    slug: z.string().describe("The workspace's name in its address: `<slug>.<base domain>`."),
    name: z.string().describe('Its display name.'),
    status: z
      .enum(['provisioning', 'active', 'suspended', 'deleting'])
      .describe('Only an active workspace answers; a suspended one answers 423 to every request.'),
  })
  .meta({ id: 'Tenant' });

/** The workspace's public description, under `/api/v1`. */
export async function tenancyApi(api: ApiScope): Promise<void> {
  api.get(
    '/tenant',
    {
      schema: {
        summary: 'The workspace this address serves',
        tags: ['tenancy'],
        response: { 200: tenantDescription },
      },
    },
    async (request) => {
      const tenant = requireTenant(request);
      return { slug: tenant.slug, name: tenant.name, status: tenant.status };
    },
  );
}
