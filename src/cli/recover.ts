import type { Command } from 'commander';
import { recoverPlatform, type RecoverResult } from '../app/recover.js';
import { appError } from '../platform/errors.js';
import { recoveryTarget } from './backup/restore.js';
import { commandSetup } from './context.js';
import { createTransferProgress, printJson } from './output.js';

interface RecoverFlags {
  time?: string;
  name?: string;
  keyFile?: string;
  secretKeyFile?: string;
  backupFirst?: boolean;
  json?: boolean;
}

const megabytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

function printRecovered(result: RecoverResult, home: string): void {
  const lines = [
    `Recovered the platform from backup ${result.backupId} in ${result.repository} in ${result.seconds.toFixed(1)} s: ${megabytes(result.restoredBytes)} restored, ${result.walFiles} WAL file(s) replayed.`,
    result.lastTransactionAt
      ? `Everything committed up to ${result.lastTransactionAt} is back (WAL position ${result.reachedLsn}); the platform continues on timeline ${result.timeline}.`
      : `No transaction after the backup was found in the archive; the platform continues on timeline ${result.timeline}.`,
    `${result.tenants} workspace(s) recovered.`,
    result.secretKey === 'kept'
      ? 'The lost home’s secret key is this home’s: every password and sealed secret works as before.'
      : 'This home has a new secret key: every database role’s password was reset to it.',
  ];
  const lost = result.sealedUnderLostKey;
  if (lost && (lost.authenticators > 0 || lost.webhookSecrets > 0))
    lines.push(
      `warning: ${lost.authenticators} authenticator app(s) and ${lost.webhookSecrets} webhook secret(s) were sealed under the lost secret key and cannot be opened: those people set up their authenticator again (an owner or staff member resets their second factor), and each webhook channel is added again with a new secret.`,
    );
  lines.push(
    result.firstBackup === 'queued'
      ? 'The first backup of the new timeline is queued: `steadfast up` takes it while it already serves.'
      : `First backup of the new timeline: ${result.firstBackup.id}, in ${result.firstBackup.repositories.join(', ')}.`,
    `Next: STEADFAST_HOME=${home} steadfast up`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerRecoverCommand(program: Command): void {
  program
    .command('recover [id]')
    .description(
      'bring a lost platform back in this (new, empty) home from its backup repositories and backup key: restore, replay the WAL, start a new timeline, and take its first backup',
    )
    .option('--time <moment>', 'recover to this moment, e.g. 2026-11-24T14:30:00Z (default: all the archived WAL)')
    .option('--name <restore-point>', 'recover to a restore point made with "steadfast backup mark"')
    .option('--key-file <file>', 'the backup key the lost platform used (copied to this home’s backupKeyFile)')
    .option(
      '--secret-key-file <file>',
      'the lost home’s secret.key, if it was kept (without it a new key is made and every role’s password reset)',
    )
    .option(
      '--backup-first',
      'take the first backup of the new timeline before ending (else `up` takes it as it starts)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, flags: RecoverFlags, command: Command) => {
      const { config, log } = commandSetup(command);
      const recovery = recoveryTarget(flags);
      if (recovery === 'none') throw appError('VALIDATION_FAILED', 'recover always replays the WAL.');
      const progress = createTransferProgress('recovering');
      try {
        const result = await recoverPlatform(config, log, {
          id,
          recovery,
          keyFile: flags.keyFile,
          secretKeyFile: flags.secretKeyFile,
          backupFirst: flags.backupFirst,
          onProgress: (p) => progress.update(p),
          onStep: (step) => process.stderr.write(`recover: ${step}\n`),
        });
        progress.stop();
        if (flags.json) return printJson(result);
        printRecovered(result, config.home);
      } finally {
        progress.stop();
      }
    });
}
