import path from 'node:path';
import type { Command } from 'commander';
import { createBackupService } from '../../app/backup.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { configFrom, commandLogger, globalOptions } from '../context.js';
import { createTransferProgress, printJson } from '../output.js';

export function registerBackupRestore(backup: Command): void {
  backup
    .command('restore [id]')
    .description('restore the whole cluster from a backup (default: the latest) into a new, empty data directory')
    .requiredOption('--to <dir>', 'the new data directory; it must not exist or be empty')
    .option('--key-file <file>', 'the backup key (default: backupKeyFile)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, options: { to: string; keyFile?: string; json?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const config = configFrom(global);
      // Files belong to whoever will run this Postgres: the dedicated OS user when we are root.
      const runAs = await ensurePostgresOsUser(config.postgresOsUser);
      const progress = createTransferProgress('restoring');
      const target = path.resolve(options.to);
      const result = await createBackupService(config, commandLogger(config, global), undefined, options.keyFile).restore({
        id,
        target,
        owner: runAs,
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      if (options.json) return printJson(result);
      process.stdout.write(`Restored backup ${result.record.id} from ${result.repository} into ${target}: ${result.files} files, ${(result.bytes / 1048576).toFixed(1)} MB in ${result.seconds.toFixed(1)} s.\nIt is consistent as of WAL position ${result.record.endLsn}; start PostgreSQL 18 on it, or point STEADFAST_HOME at a home whose postgres/data it is.\n`);
    });
}
