import type { Command } from 'commander';
import { createBackupService, restoreTenant } from '../../app/backup.js';
import { appError } from '../../platform/errors.js';
import { printPassedOver, recoveryTarget } from '../backup/restore.js';
import { globalOptions, operator, withPlatform } from '../context.js';
import { createTransferProgress, printJson } from '../output.js';
import { confirmSlug } from './delete.js';

interface TenantRestoreFlags {
  time?: string;
  name?: string;
  into?: string;
  yes?: boolean;
  json?: boolean;
}

export function registerTenantRestore(tenant: Command): void {
  tenant
    .command('restore <slug>')
    .description(
      "bring one tenant's data back from the backups, as of a moment: over the live tenant (its current state kept first) or into a new tenant",
    )
    .option('--time <moment>', 'the moment to go back to, e.g. 2026-11-24T14:30:00Z (default: the latest archived WAL)')
    .option('--name <restore-point>', 'a restore point made with "steadfast backup mark"')
    .option(
      '--into <new-slug>',
      'create this new tenant with the restored data, leaving the live one alone (also brings back a deleted tenant)',
    )
    .option('-y, --yes', 'do not ask before replacing the live data (for scripts)')
    .option('--json', 'print the result as JSON')
    .action(async (slug: string, flags: TenantRestoreFlags, command: Command) => {
      const target = recoveryTarget({ time: flags.time, name: flags.name });
      if (target === 'none')
        throw appError('VALIDATION_FAILED', 'A tenant is restored to a moment, a restore point or the latest WAL.');
      if (!flags.into && !flags.yes) {
        await confirmSlug(
          slug,
          `This replaces all data of tenant "${slug}" with its data as of ${flags.time ?? flags.name ?? 'the latest archived WAL'} (its current state is kept in a database of its own first).`,
          'nothing was changed',
        );
      }
      const result = await withPlatform(globalOptions(command), async (platform) => {
        const backups = createBackupService(platform.config, platform.log, platform.database);
        const progress = createTransferProgress('restoring tenant');
        try {
          return await restoreTenant(platform, backups, {
            actor: operator(),
            slug,
            target,
            into: flags.into ? { slug: flags.into } : undefined,
            onProgress: (p) => progress.update(p),
          });
        } finally {
          progress.stop();
          await backups.close();
        }
      });
      if (flags.json) return printJson(result);
      printPassedOver(result.passedOver, result.backupId);
      process.stdout.write(
        `Restored tenant ${result.from}${result.slug === result.from ? '' : ` into the new tenant ${result.slug}`} as of ${result.restoredTo ?? 'the backup'} (backup ${result.backupId}): ${result.tables} table(s), ${result.rows} row(s), in ${result.seconds.toFixed(1)} s.\n`,
      );
      if (result.previousCopy)
        process.stdout.write(`Its data from before the restore is kept in the database ${result.previousCopy}.\n`);
    });
}
