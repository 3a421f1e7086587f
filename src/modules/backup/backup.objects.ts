import { createHash } from 'node:crypto';
import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { Crc32c } from '../../platform/checksum.js';
import { unseal, type UnsealOptions } from '../../platform/crypto/sealed.js';
import { appError } from '../../platform/errors.js';
import type { TransferMeter } from '../../platform/progress.js';
import { readRecords, recordIsAuthentic, repositoryOwner } from './backup.catalog.js';
import type { Repository } from './backup.ports.js';
import type { BackupRecord, TransferProgress } from './backup.schema.js';

/** One stored object of a backup, as its record lists it. */
export type ObjectEntry = BackupRecord['objects'][number];

/** A backup's record in one repository, refused unless it was sealed with `key` and is unaltered. */
export async function authenticRecord(repository: Repository, id: string, key: BackupKey): Promise<BackupRecord> {
  const record = (await readRecords(repository.store, () => undefined)).find((candidate) => candidate.id === id);
  if (!record) throw appError('BACKUP_NOT_FOUND', `Backup ${id} is no longer in ${repository.name}.`);
  if (record.keyFingerprint !== key.fingerprint) {
    throw appError(
      'BACKUP_KEY_MISMATCH',
      `Backup ${id} was encrypted with key ${record.keyFingerprint}, but the key given is ${key.fingerprint}. Use the key file that was in use when it was taken.`,
    );
  }
  if (!recordIsAuthentic(record, key))
    throw appError('BACKUP_CORRUPT', `The metadata of backup ${id} in ${repository.name} was altered or damaged.`);
  const owner = await repositoryOwner(repository.store);
  if (owner !== undefined && owner !== record.systemIdentifier)
    throw appError(
      'REPOSITORY_OF_ANOTHER_CLUSTER',
      `Backup ${id} in ${repository.name} belongs to the PostgreSQL cluster ${record.systemIdentifier}, but the repository is cluster ${owner}'s: it was copied in from another cluster's repository, and is refused. Restore that cluster from its own repository.`,
    );
  return record;
}

export function objectOf(record: BackupRecord, name: string): ObjectEntry {
  const object = record.objects.find((entry) => entry.name === name);
  if (!object) throw appError('BACKUP_CORRUPT', `Backup ${record.id} has no ${name}.`);
  return object;
}

/** The object's plaintext, its stored bytes checked against the recorded checksum, refused if another cluster's. */
export function openObject(
  repository: Repository,
  object: ObjectEntry,
  key: BackupKey,
  cluster: string,
  options: Pick<UnsealOptions, 'intoSlabs'> = {},
): AsyncIterable<Buffer> {
  return unseal(checked(repository.store.get(object.key), object, repository.name), key, object.key, {
    ...options,
    cluster,
    where: repository.name,
  });
}

/** The whole plaintext of a backup's object named `name` (a small one: the manifest). */
export async function readObject(
  repository: Repository,
  record: BackupRecord,
  name: string,
  key: BackupKey,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openObject(repository, objectOf(record, name), key, record.systemIdentifier))
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Passes chunks through, telling `onProgress` how far the meter has got. */
export async function* metered(
  source: AsyncIterable<Buffer>,
  meter: TransferMeter,
  onProgress?: (progress: TransferProgress) => void,
): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of source) {
    done += chunk.length;
    onProgress?.(meter.update(done));
    yield chunk;
  }
}

/** Passes a stored object through, failing at its end if it does not match its recorded checksum. */
async function* checked(
  source: AsyncIterable<Buffer>,
  object: ObjectEntry,
  repository: string,
): AsyncGenerator<Buffer> {
  // Backups taken before CRC-32C carry a SHA-256.
  const crc = new Crc32c();
  const sha = object.crc32c === undefined ? createHash('sha256') : undefined;
  let bytes = 0;
  for await (const chunk of source) {
    if (sha) sha.update(chunk);
    else crc.update(chunk);
    bytes += chunk.length;
    yield chunk;
  }
  const matches = sha ? sha.digest('hex') === object.sha256 : crc.hex() === object.crc32c;
  if (bytes !== object.bytes || !matches) {
    throw appError(
      'BACKUP_CORRUPT',
      `${object.key} in ${repository} does not match its recorded checksum (${bytes} of ${object.bytes} bytes): it was damaged or truncated.`,
    );
  }
}
