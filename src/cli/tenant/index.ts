import type { Command } from 'commander';
import { registerTenantCreate } from './create.js';
import { registerTenantDelete } from './delete.js';
import { registerTenantList } from './list.js';
import { registerTenantRestore } from './restore.js';
import { registerTenantStatus } from './status.js';

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('create, list, suspend, resume, delete and restore tenants');
  registerTenantCreate(tenant);
  registerTenantList(tenant);
  registerTenantStatus(tenant);
  registerTenantDelete(tenant);
  registerTenantRestore(tenant);
}
