import type { ConnectionTarget } from '../db/connect.js';
import { canBackUpFiles, streamFileBackup, type ReusableFiles } from './file-backup.js';
import { identifySystem, streamBaseBackup, type BaseBackupEvent, type SystemIdentity } from './replication.js';
import { createRestorePoint, type RestorePoint } from './restore-point.js';

/** A cluster to take base backups from and make restore points on (the backup module's BackupSource port). */
export interface PostgresBackupSource {
  readonly role: string;
  identify(): Promise<SystemIdentity>;
  stream(options: {
    label: string;
    chunkBytes: number;
    reuse?: PromiseLike<ReusableFiles | undefined> | undefined;
  }): Promise<AsyncIterable<BaseBackupEvent>>;
  createRestorePoint(name: string): Promise<RestorePoint>;
}

/**
 * The cluster at `target`, reached as a role allowed to replicate. When `dataDir` is its data
 * directory on this machine (and it has no tablespaces), a backup reads the files itself (the
 * low-level backup API) instead of having a walsender stream them (BASE_BACKUP).
 */
export function postgresBackupSource(target: ConnectionTarget, dataDir?: string): PostgresBackupSource {
  return {
    role: target.user,
    identify: () => identifySystem(target),
    async stream({ label, chunkBytes, reuse }) {
      if (dataDir && (await canBackUpFiles(dataDir)))
        return streamFileBackup(target, dataDir, { label, fastCheckpoint: true, chunkBytes, reuse });
      return streamBaseBackup(target, { label, includeWal: true, fastCheckpoint: true, chunkBytes });
    },
    // The segment is closed at once, so `restore --name` can reach the point as soon as it is made.
    createRestorePoint: (name) => createRestorePoint(target, name, { switchWal: true }),
  };
}
