import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Database passwords are derived from one secret key (HMAC-SHA256 of the role name),
 * so no password is stored anywhere and every process holding the key agrees on them.
 */
export function derivePassword(secretKey: string, roleName: string): string {
  return createHmac('sha256', secretKey).update(`postgres-role:${roleName}`).digest('base64url');
}

/** Reads `<home>/secret.key`, creating it (mode 0600, written atomically) on first use. */
export async function loadOrCreateSecretKey(home: string): Promise<string> {
  const file = path.join(home, 'secret.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(home, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${key}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return (await readFile(file, 'utf8')).trim();
}

