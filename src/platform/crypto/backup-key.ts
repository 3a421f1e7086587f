import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appError } from '../errors.js';
import type { SealingKey } from './sealed.js';

/**
 * The backup encryption key: 32 random bytes, base64 in a file only the operator holds.
 * Losing it loses the backups: nothing, not even Steadfast, can decrypt them without it.
 */
export interface BackupKey extends SealingKey {
  /** Hex of the id: shown to operators and kept in every backup's metadata. */
  readonly fingerprint: string;
}

function fromText(text: string, file: string): BackupKey {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw appError(
      'BACKUP_KEY_MISSING',
      `${file} does not hold a backup key (32 bytes, base64). Restore the right key file, or point backupKeyFile at it.`,
    );
  const id = createHash('sha256').update(key).digest().subarray(0, 8);
  return { key, id, fingerprint: id.toString('hex') };
}

/** Reads the key file; with `create`, makes one (mode 0600) if there is none. */
export async function loadBackupKey(
  file: string,
  options: { create: boolean },
): Promise<{ key: BackupKey; created: boolean }> {
  try {
    return { key: fromText(await readFile(file, 'utf8'), file), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!options.create) {
      throw appError(
        'BACKUP_KEY_MISSING',
        `The backup key file ${file} does not exist. Copy the key that was used for these backups there (or pass --key-file); without it they cannot be decrypted.`,
      );
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  let created = true;
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  } finally {
    await unlink(temporary);
  }
  return { key: fromText(await readFile(file, 'utf8'), file), created };
}
