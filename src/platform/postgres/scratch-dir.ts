import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { ensurePostgresOsUser, type RunAs } from './os-user.js';

/**
 * Where a scratch copy of the cluster goes (drills, per-tenant restores): `drillDirectory`, else
 * beside the data directory (the same disk, reachable by the PostgreSQL user), and that user.
 */
export async function scratchDirectory(
  config: Pick<Config, 'postgresOsUser' | 'drillDirectory' | 'home'>,
  dataDir: string | undefined,
): Promise<{ dir: string; owner: RunAs | undefined }> {
  const owner = await ensurePostgresOsUser(config.postgresOsUser);
  const dir = config.drillDirectory ?? (dataDir ? path.dirname(dataDir) : path.join(config.home, 'drills'));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return { dir, owner };
}
