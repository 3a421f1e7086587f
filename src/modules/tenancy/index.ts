/** Tenancy: provisioning, routing by host, suspension, deletion and tenant migrations. */
export { TenancyService, type MigrateTenantsResult, type MigrationProgress } from './tenancy.service.js';
export { TenancyRepository } from './tenancy.repository.js';
export { TenantProvisioner } from './tenancy.provisioner.js';
export { tenancyModule, type TenancyModuleContext } from './tenancy.module.js';
export { registerTenantContext, requireTenant } from './tenancy.context.js';
export { targetOfHost, type HostTarget } from './tenancy.host.js';
export { canManageTenants } from './tenancy.policy.js';
export { slugSchema, reservedSlugs, type TenantView, type CreateTenantInput } from './tenancy.schema.js';
