import type { Command } from 'commander';
import { globalOptions, withPlatform } from './context.js';
import { printJson } from './output.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description("a workspace's audit log");
  audit
    .command('verify <tenant>')
    .description(
      "recompute the audit log's hash chain: exits 1 and names the first entry altered or removed behind the database's back",
    )
    .option('--json', 'print the result as JSON')
    .action(async (slug: string, options: { json?: boolean }, command: Command) => {
      const result = await withPlatform(globalOptions(command), (platform) => platform.identity.verifyAudit(slug));
      if (result.broken) process.exitCode = 1;
      if (options.json) return printJson({ tenant: slug, ...result });
      process.stdout.write(
        result.broken
          ? `The audit log of ${slug} is broken at entry ${result.broken.id}: ${result.broken.reason}. Entries before it are intact (${result.entries - 1} checked).\n`
          : `The audit log of ${slug} is intact: ${result.entries} entries, each chained to the one before.\n`,
      );
    });
}
