import { createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
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
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${key}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  try {
    // link() fails if the file exists: of two first starts, one key wins and both read it.
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return (await readFile(file, 'utf8')).trim();
}
