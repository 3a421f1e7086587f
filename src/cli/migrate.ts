import type { Command } from 'commander';
import { createProgress, printJson } from './output.js';
import { globalOptions, withPlatform } from './context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations to the platform database and every tenant database (resumable)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await withPlatform(globalOptions(command), async (platform) => {
        const progress = createProgress('migrating tenants');
        try {
          return await platform.tenancy.migrateAll(({ done, total, slug }) => progress.update(done, total, slug));
        } finally {
          progress.stop();
        }
      });
      if (options.json) printJson(result);
      else {
        process.stdout.write(
          `Platform database is current. Tenants: ${result.migrated.length} migrated, ${result.alreadyCurrent} already at ${result.latest}, ${result.failed.length} failed.\n`,
        );
        for (const failure of result.failed) process.stdout.write(`  ${failure.slug}: ${failure.error}\n`);
      }
      if (result.failed.length) {
        process.stderr.write(
          'error: some tenant databases were not migrated; fix the cause above and run "steadfast migrate" again: it resumes with those.\n',
        );
        process.exitCode = 1;
      }
    });
}
