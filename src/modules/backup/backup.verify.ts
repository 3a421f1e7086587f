import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { TransferMeter } from '../../platform/progress.js';
import { checkTarAgainstManifest } from '../../platform/postgres/manifest.js';
import { chainProblems, manifestOf } from './backup.chain.js';
import { backupKey } from './backup.keys.js';
import { findBackup, repositoryNamed } from './backup.listing.js';
import { authenticRecord, metered, objectOf, openObject } from './backup.objects.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import type { TransferProgress } from './backup.schema.js';
import { verifyWal } from './backup.verify-wal.js';

export interface VerifyResult {
  readonly id: string;
  readonly repository: string;
  readonly ok: boolean;
  readonly files: number;
  /** An incremental's files kept in earlier backups: checked against their manifests and read from their archives. */
  readonly chainFiles?: number;
  /** Archived WAL segments read and checked: the backup's own and the chain after it. */
  readonly walFiles: number;
  readonly problems: string[];
}

/**
 * Checks a backup (default: the latest) in every repository holding it: each object's
 * checksum, every file against Postgres's manifest after decrypting, then the archived WAL it
 * needs and the WAL after it (see verifyWal).
 */
export async function verifyBackup(
  deps: BackupServiceDeps,
  id?: string,
  onProgress?: (progress: TransferProgress) => void,
): Promise<VerifyResult[]> {
  const key = await backupKey(deps, false);
  const listing = await findBackup(deps, id);
  const results: VerifyResult[] = [];
  for (const name of listing.repositories) {
    try {
      results.push(await verifyIn(deps, repositoryNamed(deps, name), listing.record.id, key, onProgress));
    } catch (error) {
      results.push({
        id: listing.record.id,
        repository: name,
        ok: false,
        files: 0,
        walFiles: 0,
        problems: [(error as Error).message],
      });
    }
  }
  return results;
}

async function verifyIn(
  deps: BackupServiceDeps,
  repository: Repository,
  id: string,
  key: BackupKey,
  onProgress?: (progress: TransferProgress) => void,
): Promise<VerifyResult> {
  const record = await authenticRecord(repository, id, key);
  const manifest = await manifestOf(repository, record, key);
  const chain = await chainProblems(repository, record, manifest, key, (holder, object) =>
    metered(
      openObject(repository, object, key, holder.systemIdentifier),
      new TransferMeter(
        deps.clock,
        `verifying ${holder.id}, which it builds on, in ${repository.name}`,
        object.plainBytes,
      ),
      onProgress,
    ),
  );
  const base = objectOf(record, 'base.tar');
  const meter = new TransferMeter(deps.clock, `verifying in ${repository.name}`, base.plainBytes);
  // An incremental's archive holds the files it stored; those it left out are checked in the chain.
  const check = await checkTarAgainstManifest(
    metered(openObject(repository, base, key, record.systemIdentifier), meter, onProgress),
    { ...manifest, Files: manifest.Files.filter((file) => file.Reference === undefined) },
  );
  const walMeter = new TransferMeter(deps.clock, `verifying WAL in ${repository.name}`, undefined);
  const wal = await verifyWal(deps, repository, record, key, (done, total) => {
    walMeter.total = total;
    onProgress?.(walMeter.update(done));
  });
  const problems = [...chain, ...check.problems, ...wal.problems];
  return {
    id: record.id,
    repository: repository.name,
    ok: problems.length === 0,
    files: check.files,
    ...(record.references ? { chainFiles: manifest.Files.filter((file) => file.Reference !== undefined).length } : {}),
    walFiles: wal.files,
    problems,
  };
}
