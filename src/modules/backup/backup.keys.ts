import { loadBackupKey, type BackupKey } from '../../platform/crypto/backup-key.js';
import { assertKeyFitsRepositories } from './backup.catalog.js';
import type { BackupServiceDeps } from './backup.ports.js';

/**
 * The backup key from the key file. With `create` (a backup about to be written), a missing
 * key is made, loudly, and must fit the repositories: it is the key their backups were sealed with.
 */
export async function backupKey(
  deps: Pick<BackupServiceDeps, 'keyFile' | 'repositories' | 'log'>,
  create: boolean,
): Promise<BackupKey> {
  const { key, created } = await loadBackupKey(deps.keyFile, { create });
  if (create)
    await assertKeyFitsRepositories(
      deps.repositories.map((repository) => repository.store),
      key,
      deps.keyFile,
    );
  if (created)
    deps.log.warn(
      { keyFile: deps.keyFile, fingerprint: key.fingerprint },
      'created a new backup encryption key: copy it somewhere safe, off this machine; without it the backups cannot be restored',
    );
  return key;
}
