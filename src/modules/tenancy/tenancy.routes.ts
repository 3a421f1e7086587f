import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { escapeHtml, htmlSecurityHeaders, page } from '../../platform/http/html.js';
import { requireTenant } from './tenancy.context.js';

/** The tenant's entry page, on its own host. */
export async function tenancyPages(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const tenant = requireTenant(request);
    const body = `<h1>${escapeHtml(tenant.name)}</h1>
<p>This is the Steadfast workspace <strong>${escapeHtml(tenant.slug)}</strong>.</p>
<p class="muted">Sign-in arrives with accounts; this workspace's data lives in its own database.</p>`;
    return reply.headers(htmlSecurityHeaders).type('text/html; charset=utf-8').send(page(tenant.name, body));
  });
}

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
