import { createBackupService, type BackupSource } from '../../app/backup.js';
import type { BackupService, TransferProgress } from '../../modules/backup/index.js';
import type { Config } from '../../platform/config/config.js';
import type { Logger } from '../../platform/log/log.js';
import { createTransferProgress } from '../output.js';

/**
 * Runs one backup command: the service, a progress display when `label` is given, and on
 * the way out (success or not) the display stopped and the repositories' connections closed.
 */
export async function withBackups<R>(
  options: { config: Config; log: Logger; source?: BackupSource; keyFile?: string; label?: string },
  work: (backups: BackupService, onProgress: (progress: TransferProgress) => void) => Promise<R>,
): Promise<R> {
  const backups = createBackupService(options.config, options.log, options.source, options.keyFile);
  const progress = options.label ? createTransferProgress(options.label) : undefined;
  try {
    return await work(backups, (p) => progress?.update(p));
  } finally {
    progress?.stop();
    await backups.close();
  }
}
