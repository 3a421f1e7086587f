import type { Command } from 'commander';
import { globalOptions, withPlatform } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerTenantList(tenant: Command): void {
  tenant
    .command('list')
    .description('list tenants with their status, region and schema version')
    .option('--json', 'print the tenants as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const tenants = await withPlatform(globalOptions(command), (platform) => platform.tenancy.list());
      if (options.json) return printJson(tenants);
      printTable(
        tenants.map((t) => ({
          slug: t.slug,
          name: t.name,
          status: t.status,
          region: t.region,
          schema: t.schemaVersion ?? '-',
          created: t.createdAt.slice(0, 19).replace('T', ' '),
          url: t.url,
        })),
        'No tenants yet. Create one with: steadfast tenant create <slug> --name "Name"',
      );
    });
}
