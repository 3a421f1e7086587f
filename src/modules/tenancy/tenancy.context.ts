import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appError } from '../../platform/errors.js';
import { retryTransient } from '../../platform/http/retry.js';
import { targetOfHost } from './tenancy.host.js';
import type { TenancyService } from './tenancy.service.js';
import type { TenantView } from './tenancy.schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant this request's host names; set for routes registered inside a tenant scope. */
    tenant?: TenantView;
  }
}

/** The tenant of a request inside a tenant scope; throws if the route is outside one. */
export function requireTenant(request: FastifyRequest): TenantView {
  if (!request.tenant) throw new Error('requireTenant() used on a route outside a tenant scope');
  return request.tenant;
}

/**
 * Resolves the tenant from the Host header for every route registered in this scope.
 * Unknown tenants get 404, suspended ones 423, and neither ever reaches a handler, so no
 * route can serve one tenant's data on another tenant's host.
 */
export function registerTenantContext(app: FastifyInstance, tenancy: TenancyService, baseDomain: string): void {
  app.addHook('onRequest', async (request) => {
    const target = targetOfHost(request.headers.host, baseDomain);
    if (target.kind !== 'tenant') {
      throw appError(
        'TENANT_NOT_FOUND',
        `This address does not name a workspace. Workspaces are served at <name>.${baseDomain}.`,
      );
    }
    // A read: repeated while a failover is under way, whatever the request's method.
    request.tenant = tenancy.present(await retryTransient(request, () => tenancy.requestTenant(target.slug), true));
  });
}
