import type { Command } from 'commander';
import { globalOptions, operator, withPlatform } from '../context.js';
import { printJson } from '../output.js';

export function registerTenantCreate(tenant: Command): void {
  tenant
    .command('create <slug>')
    .description('create a tenant with its own database and login role, served at <slug>.<base domain>')
    .requiredOption('--name <name>', 'display name, e.g. "Acme Inc."')
    .option('--region <region>', 'region to record (default: the configured region)')
    .option('--json', 'print the tenant as JSON')
    .action(async (slug: string, options: { name: string; region?: string; json?: boolean }, command: Command) => {
      const created = await withPlatform(globalOptions(command), (platform) =>
        platform.tenancy.create(operator(), { slug, name: options.name, region: options.region }),
      );
      if (options.json) printJson(created);
      else process.stdout.write(`Created tenant ${created.slug} ("${created.name}"): ${created.url}\n`);
    });
}
