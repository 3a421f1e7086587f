import type { Command } from 'commander';
import { globalOptions, operator, withPlatform } from '../context.js';
import { printJson } from '../output.js';

export function registerTenantStatus(tenant: Command): void {
  tenant
    .command('suspend <slug>')
    .description('suspend a tenant: its address answers 423 and its connections close; its data is kept')
    .option('--reason <text>', 'why, shown to its users and kept in the audit log')
    .option('--json', 'print the tenant as JSON')
    .action(async (slug: string, options: { reason?: string; json?: boolean }, command: Command) => {
      const tenant = await withPlatform(globalOptions(command), (platform) =>
        platform.tenancy.suspend(operator(), slug, options.reason),
      );
      if (options.json) printJson(tenant);
      else process.stdout.write(`Suspended tenant ${tenant.slug}.\n`);
    });
  tenant
    .command('resume <slug>')
    .description('resume a suspended tenant')
    .option('--json', 'print the tenant as JSON')
    .action(async (slug: string, options: { json?: boolean }, command: Command) => {
      const tenant = await withPlatform(globalOptions(command), (platform) =>
        platform.tenancy.resume(operator(), slug),
      );
      if (options.json) printJson(tenant);
      else process.stdout.write(`Resumed tenant ${tenant.slug}: ${tenant.url}\n`);
    });
}
