import type { Command } from 'commander';
import { attachDatabase } from '../../app/database.js';
import { commandSetup } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withBackups } from './session.js';
import { registerBackupDrill } from './drill.js';
import { registerBackupRestore } from './restore.js';

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('take, list, verify and restore base backups');
  registerBackupNow(backup);
  registerBackupList(backup);
  registerBackupVerify(backup);
  registerBackupRetention(backup);
  registerBackupRestore(backup);
  registerBackupDrill(backup);
}

/** `steadfast backup now`: a base backup into every repository, with progress. */
function registerBackupNow(backup: Command): void {
  backup
    .command('now')
    .description('take a base backup now and store it in every configured repository')
    .option(
      '--incremental',
      'store only the files changed since the latest backup (taken full when there is none to build on)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean; incremental?: boolean }, command: Command) => {
      const { config, log } = commandSetup(command);
      const database = await attachDatabase(config, log);
      try {
        const result = await withBackups(
          { config, log, source: database, label: 'backing up' },
          (backups, onProgress) => backups.take(onProgress, undefined, { incremental: Boolean(options.incremental) }),
        );
        if (options.json) return printJson(result);
        const stored = result.record.objects.reduce((sum, object) => sum + object.bytes, 0);
        const { references } = result.record;
        process.stdout.write(
          `${references ? `Incremental backup ${result.record.id} (unchanged files kept in ${references.join(', ')})` : `Backup ${result.record.id}`}: ${mb(result.record.sourceBytes)} from PostgreSQL, ${mb(stored)} stored (compressed, encrypted) in ${result.stored.join(', ')} in ${result.seconds.toFixed(1)} s.\n`,
        );
        if (result.fullBecause) process.stdout.write(`  taken full: ${result.fullBecause}.\n`);
        for (const failure of result.failed)
          process.stdout.write(`  not stored in ${failure.repository}: ${failure.error}\n`);
        if (result.failed.length) process.exitCode = 1;
      } finally {
        await database.stop();
      }
    });
}

/** `steadfast backup list`: the complete backups and where they are. */
function registerBackupList(backup: Command): void {
  backup
    .command('list')
    .description('list the complete backups in the repositories')
    .option('--json', 'print the backups as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, log } = commandSetup(command);
      const backups = await withBackups({ config, log }, (service) => service.list());
      if (options.json) return printJson(backups);
      printTable(
        backups.map(({ record, repositories }) => ({
          id: record.id,
          type: record.references ? `incremental (needs ${record.references.join(', ')})` : 'full',
          finished: record.finishedAt.slice(0, 19).replace('T', ' '),
          size: mb(record.sourceBytes),
          stored: mb(record.objects.reduce((sum, object) => sum + object.bytes, 0)),
          wal: `${record.startLsn}..${record.endLsn}`,
          repositories: repositories.join(','),
        })),
        'No backups yet. Take one with: steadfast backup now',
      );
    });
}

/** `steadfast backup verify [id]`: checksums, then every file against the manifest. */
function registerBackupVerify(backup: Command): void {
  backup
    .command('verify [id]')
    .description(
      "check a backup (default: the latest) in every repository: checksums, every file against PostgreSQL's manifest, the archived WAL it needs and the WAL chain after it",
    )
    .option('--key-file <file>', 'the backup key (default: backupKeyFile)')
    .option('--json', 'print the results as JSON')
    .action(async (id: string | undefined, options: { json?: boolean; keyFile?: string }, command: Command) => {
      const { config, log } = commandSetup(command);
      const results = await withBackups(
        { config, log, keyFile: options.keyFile, label: 'verifying' },
        (backups, onProgress) => backups.verify(id, onProgress),
      );
      if (options.json) printJson(results);
      else {
        for (const result of results) {
          process.stdout.write(
            `${result.ok ? 'OK    ' : 'FAILED'} ${result.id} in ${result.repository}: ${result.files} files${result.chainFiles === undefined ? '' : ` (and ${result.chainFiles} kept in its chain, read from the backups holding them)`} and ${result.walFiles} WAL segment(s) checked${result.problems.length ? `; ${result.problems.length} problem(s):` : ''}\n`,
          );
          for (const problem of result.problems.slice(0, 20)) process.stdout.write(`         ${problem}\n`);
        }
      }
      if (results.some((result) => !result.ok)) process.exitCode = 1;
    });
}

/** `steadfast backup retention`: each repository's policy applied (or, with --dry-run, shown). */
function registerBackupRetention(backup: Command): void {
  backup
    .command('retention')
    .description("apply each repository's retention: remove the backups and WAL its policy no longer keeps")
    .option('--dry-run', 'only say what would be removed and what could still be restored')
    .option('--json', 'print the reports as JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }, command: Command) => {
      const { config, log } = commandSetup(command);
      const reports = await withBackups({ config, log }, (backups) =>
        backups.retention({ dryRun: Boolean(options.dryRun) }),
      );
      if (options.json) return printJson(reports);
      for (const report of reports) {
        const verb = report.dryRun ? 'would remove' : 'removed';
        if (report.skipped) process.stdout.write(`${report.repository}: nothing removed: ${report.skipped}.\n`);
        else
          process.stdout.write(
            `${report.repository}: keeps ${report.keep.length} backup(s); ${verb} ${report.remove.length} backup(s)${report.remove.length ? ` (${report.remove.join(', ')})` : ''} and ${report.walFilesRemoved} WAL file(s).\n`,
          );
        for (const [id, neededBy] of Object.entries(report.keptForChains))
          process.stdout.write(
            `  keeps ${id} beyond its policy: incremental backup(s) ${neededBy.join(', ')} need its files.\n`,
          );
        if (report.abandoned.length)
          process.stdout.write(
            `  ${verb} the objects of ${report.abandoned.length} backup(s) that never finished (${report.abandoned.join(', ')}).\n`,
          );
        if (report.unfinishedWritesRemoved)
          process.stdout.write(`  removed ${report.unfinishedWritesRemoved} temporary file(s) of writes that died.\n`);
        if (report.recoverableFrom)
          process.stdout.write(`  after this you can restore to any moment from ${report.recoverableFrom} to now.\n`);
      }
    });
}
