import { rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { appError } from '../errors.js';
import { hbaRules, steadfastConf, writeFileAtomic } from './data-dir.js';
import { isReachableBy, type RunAs } from './os-user.js';
import { prepareDataDirParent } from './supervisor.js';

/** A data directory a restore writes into, prepared; `discard` removes what the preparation created. */
export interface RestoreTarget {
  readonly dataDir: string;
  /** Removes the directories made for this restore, if they are empty (a restore that failed empties its target). */
  discard(): Promise<void>;
}

/**
 * Prepares `dataDir` for a restore the way `steadfast up` prepares its own: the directories that
 * are missing are made (the data directory's parent private to the PostgreSQL user, as
 * `<home>/postgres` is), and one that the PostgreSQL user could not pass through is refused now,
 * before anything is fetched, saying what to change. Existing directories are never changed.
 */
export async function prepareRestoreTarget(dataDir: string, runAs: RunAs | undefined): Promise<RestoreTarget> {
  const target = path.resolve(dataDir);
  const missing = await missingAncestors(target); // the data directory itself, if missing, is made by the restore
  if (runAs) {
    const reach = await isReachableBy(target, runAs);
    if (!reach.ok)
      throw appError(
        'DATA_DIR_UNREACHABLE',
        `The PostgreSQL user "${runAs.user}" could not reach ${target}: ${reach.blockedAt} is not searchable for it, so the restored cluster could not start. Restore under a searchable path (for example a new STEADFAST_HOME under /var/lib/steadfast), or run "chmod o+x ${reach.blockedAt}".`,
      );
  }
  const discard = async (): Promise<void> => {
    for (const dir of [...missing].reverse()) await rmdir(dir).catch(() => undefined);
  };
  // A parent we make is made as `up` makes <home>/postgres; one that exists is never changed.
  if (missing.includes(path.dirname(target)))
    await prepareDataDirParent(target, runAs).catch(async (error: unknown) => {
      await discard(); // a preparation that failed leaves nothing behind either
      throw error;
    });
  return { dataDir: target, discard };
}

/** The ancestors of `target` (itself included) that do not exist yet, outermost first. */
async function missingAncestors(target: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = target; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      await stat(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.unshift(dir);
    }
  }
  return missing;
}

/**
 * Leaves a restored data directory with settings a plain start accepts: loopback only, no Unix
 * socket, no restore_command, Steadfast's usual client authentication. `steadfast up` rewrites
 * both files with its own settings on every start.
 */
export async function leaveStartable(dataDir: string, owner: RunAs | undefined): Promise<void> {
  const conf = steadfastConf({ listen_addresses: '127.0.0.1', unix_socket_directories: '' });
  await writeFileAtomic(path.join(dataDir, 'steadfast.conf'), conf, owner);
  await writeFileAtomic(path.join(dataDir, 'pg_hba.conf'), hbaRules, owner);
}
