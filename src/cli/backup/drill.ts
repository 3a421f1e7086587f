import type { Command } from 'commander';
import { createBackupService, createDrill } from '../../app/backup.js';
import { globalOptions, withPlatform } from '../context.js';
import { createTransferProgress, printJson } from '../output.js';

export function registerBackupDrill(backup: Command): void {
  backup
    .command('drill')
    .description(
      'prove the latest backup restores: restore it plus the WAL into a scratch copy, run amcheck, compare every tenant with the primary, record the result',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await withPlatform(globalOptions(command), async (platform) => {
        const backups = createBackupService(platform.config, platform.log, platform.database);
        const progress = createTransferProgress('restore drill');
        try {
          return await createDrill(platform, backups)((p) => progress.update(p));
        } finally {
          progress.stop();
          await backups.close();
        }
      });
      if (!result.passed) process.exitCode = 1;
      if (options.json) return printJson(result);
      const verdict = result.passed ? 'PASSED' : 'FAILED';
      process.stdout.write(
        `Restore drill ${verdict} in ${result.durationSeconds.toFixed(1)} s${result.backupId ? ` (backup ${result.backupId}${result.repository ? ` from ${result.repository}` : ''})` : ''}.\n`,
      );
      if (result.restoreMbS !== undefined)
        process.stdout.write(
          `  restored ${(result.restoredBytes / 1048576).toFixed(1)} MB at ${result.restoreMbS.toFixed(1)} MB/s to restore point ${result.restorePoint} (${result.targetLsn})\n`,
        );
      if (result.rpoSeconds !== undefined)
        process.stdout.write(
          `  the restore point reached a repository ${result.rpoSeconds.toFixed(2)} s after it was made (RPO without a standby)\n`,
        );
      process.stdout.write(
        `  ${result.compared} tenant(s) identical to the primary; amcheck: ${result.amcheck.databases} database(s), ${result.amcheck.indexes} indexes, ${result.amcheck.tables} tables\n`,
      );
      if (result.changed.length)
        process.stdout.write(
          `  written to during the drill, so checked with amcheck only: ${result.changed.join(', ')}\n`,
        );
      for (const problem of result.problems.slice(0, 20)) process.stdout.write(`  problem: ${problem}\n`);
    });
}
