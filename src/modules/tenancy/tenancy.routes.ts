import type { FastifyInstance } from 'fastify';
import { escapeHtml, htmlSecurityHeaders, page } from '../../platform/http/html.js';
import { registerTenantContext, requireTenant } from './tenancy.context.js';
import type { TenancyService } from './tenancy.service.js';

export interface TenancyRoutesOptions {
  readonly tenancy: TenancyService;
  readonly baseDomain: string;
}

/** The tenant's entry page and its public description, on the tenant's own host. */
export async function tenancyRoutes(app: FastifyInstance, options: TenancyRoutesOptions): Promise<void> {
  registerTenantContext(app, options.tenancy, options.baseDomain);

  app.get('/', async (request, reply) => {
    const tenant = requireTenant(request);
    const body = `<h1>${escapeHtml(tenant.name)}</h1>
<p>This is the Steadfast workspace <strong>${escapeHtml(tenant.slug)}</strong>.</p>
<p class="muted">Sign-in arrives with accounts; this workspace's data lives in its own database.</p>`;
    return reply.headers(htmlSecurityHeaders).type('text/html; charset=utf-8').send(page(tenant.name, body));
  });

  app.get('/api/v1/tenant', async (request) => {
    const tenant = requireTenant(request);
    return { slug: tenant.slug, name: tenant.name, status: tenant.status };
  });
}
