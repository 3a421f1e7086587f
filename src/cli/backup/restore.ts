import path from 'node:path';
import type { Command } from 'commander';
import { attachDatabase } from '../../app/database.js';
import { appError } from '../../platform/errors.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { leaveStartable, prepareRestoreTarget } from '../../platform/postgres/restore-target.js';
import type { RecoveryTarget } from '../../platform/postgres/recovery.js';
import { commandSetup } from '../context.js';
import { printJson } from '../output.js';
import type { PassedOver, RestoreResult } from '../../modules/backup/index.js';
import { withBackups } from './session.js';

interface RestoreFlags {
  to: string;
  time?: string;
  name?: string;
  asTaken?: boolean;
  keyFile?: string;
  json?: boolean;
}

/** The recovery target the flags choose (one of --time, --name, --as-taken; default: the latest WAL). */
export function recoveryTarget(flags: { time?: string; name?: string; asTaken?: boolean }): RecoveryTarget | 'none' {
  const chosen = [flags.time, flags.name, flags.asTaken].filter((flag) => flag !== undefined).length;
  if (chosen > 1) throw appError('VALIDATION_FAILED', 'Choose one of --time, --name and --as-taken.');
  if (flags.asTaken) return 'none';
  if (flags.name !== undefined) return { kind: 'name', name: flags.name };
  if (flags.time !== undefined) {
    const at = new Date(flags.time);
    if (Number.isNaN(at.getTime()) || !/([zZ]|[+-]\d\d(:?\d\d)?)$/.test(flags.time)) {
      throw appError(
        'VALIDATION_FAILED',
        `--time "${flags.time}" is not a moment with a time zone; write it like 2026-11-24T14:30:00Z or 2026-11-24T15:30:00+01:00.`,
      );
    }
    return { kind: 'time', at };
  }
  return { kind: 'latest' };
}

/** Warns of each newer backup a restore passed over, and says which one it used instead. */
export function printPassedOver(passedOver: readonly PassedOver[], used: string): void {
  for (const skipped of passedOver)
    process.stdout.write(
      `warning: backup ${skipped.id} could not be restored from any repository (${skipped.reason}); restored the older backup ${used} and replayed the WAL from it. Run "steadfast backup verify ${skipped.id}" to see what is damaged.\n`,
    );
}

function printRestored(result: RestoreResult, target: string): void {
  printPassedOver(result.passedOver, result.record.id);
  process.stdout.write(
    `Restored backup ${result.record.id} from ${result.repository} into ${target}: ${result.files} files, ${(result.bytes / 1048576).toFixed(1)} MB, ${result.walFiles} WAL files, in ${result.seconds.toFixed(1)} s.\n`,
  );
  if (result.recovery) {
    process.stdout.write(
      `Recovered to WAL position ${result.recovery.reachedLsn} on timeline ${result.recovery.timeline}; last transaction ${result.recovery.lastTransactionAt ?? 'none after the backup'}. The cluster is promoted and stopped.\n`,
    );
  } else {
    process.stdout.write(`The cluster is as the backup left it (consistent at ${result.record.endLsn}).\n`);
  }
  for (const gap of result.walGaps)
    process.stdout.write(
      `warning: the archive lacks WAL ${gap.from} to ${gap.to} (timeline ${gap.timeline}); nothing after it could be recovered.\n`,
    );
  process.stdout.write(`${nextStep(target)}\n`);
}

/** How the restored directory becomes a running platform (docs/operations.md, "From a restored directory to a running platform"). */
function nextStep(target: string): string {
  const home = path.basename(target) === 'data' && path.basename(path.dirname(target)) === 'postgres';
  const homeDir = home ? path.dirname(path.dirname(target)) : '<new home>';
  const move = home ? '' : `move ${target} to ${homeDir}/postgres/data, `;
  return `Next: to serve it, ${move}copy secret.key and backup.key from the old home into ${homeDir} (the roles' passwords come from secret.key), then run: STEADFAST_HOME=${homeDir} steadfast up`;
}

export function registerBackupRestore(backup: Command): void {
  backup
    .command('restore [id]')
    .description(
      'restore the whole cluster into a new, empty data directory and recover it: to the latest archived WAL (default), a moment, or a named restore point',
    )
    .requiredOption('--to <dir>', 'the new data directory; it must not exist or be empty')
    .option(
      '--time <moment>',
      'recover to this moment, e.g. 2026-11-24T14:30:00Z (the latest backup before it is used)',
    )
    .option('--name <restore-point>', 'recover to a restore point made with "steadfast backup mark"')
    .option('--as-taken', 'no WAL replay: the cluster as it was when the backup ended')
    .option('--key-file <file>', 'the backup key (default: backupKeyFile)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, flags: RestoreFlags, command: Command) => {
      const { config, log } = commandSetup(command);
      const recovery = recoveryTarget(flags);
      // Files belong to whoever will run this Postgres: the dedicated OS user when we are root.
      const runAs = await ensurePostgresOsUser(config.postgresOsUser);
      const prepared = await prepareRestoreTarget(flags.to, runAs);
      const target = prepared.dataDir;
      const result = await withBackups(
        { config, log, keyFile: flags.keyFile, label: 'restoring' },
        (backups, onProgress) => backups.restore({ id, target, recovery, owner: runAs, onProgress }),
      ).catch(async (error: unknown) => {
        await prepared.discard();
        throw error;
      });
      await leaveStartable(target, runAs);
      if (flags.json) return printJson(result);
      printRestored(result, target);
    });

  backup
    .command('mark <name>')
    .description('create a named restore point now (and archive it), to restore to later with --name')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const { config, log } = commandSetup(command);
      const database = await attachDatabase(config, log);
      try {
        const lsn = await withBackups({ config, log, source: database }, (backups) => backups.mark(name));
        process.stdout.write(
          `Restore point "${name}" at WAL position ${lsn}; restore to it with: steadfast backup restore --name ${JSON.stringify(name)} --to <dir>\n`,
        );
      } finally {
        await database.stop();
      }
    });
}
