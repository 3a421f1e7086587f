import { asClause } from '../../platform/errors.js';
import type { ObjectStore } from '../../platform/storage/store.js';
import { backupStaleHours } from './backup.drill-log.js';
import type { BackupService } from './backup.service.js';
import { readArchiveState } from './backup.wal.js';

/** The backups as `steadfast status` shows them. */
export interface BackupsStatus {
  readonly count: number;
  readonly latest?: {
    id: string;
    finishedAt: string;
    ageHours: number;
    repositories: string[];
    type: 'full' | 'incremental';
  };
  /** The latest full backup, when the latest is incremental: where its chain starts. */
  readonly latestFull?: { id: string; finishedAt: string };
  readonly repositories: Array<{ name: string; backups: number; lastWal?: string; error?: string }>;
}

/**
 * What the repositories hold: the complete backups, the latest and its age, each repository's
 * last archived WAL; what needs attention goes into `warnings`. `oldestFinishedAt` is for the
 * drill's warnings (no drill is due before the first backup).
 */
export async function observeBackups(
  backups: BackupService,
  warnings: string[],
): Promise<{ status: BackupsStatus; oldestFinishedAt?: string }> {
  const listings = await backups.list();
  const latest = listings.at(-1);
  const repositories = await Promise.all(
    backups.repositoryNames().map(async (name) => {
      try {
        const lastWal = await backups.lastArchivedWal(name);
        return { name, backups: listings.filter((listing) => listing.repositories.includes(name)).length, lastWal };
      } catch (error) {
        warnings.push(`Backup repository ${name} cannot be read: ${(error as Error).message}`);
        return { name, backups: 0, error: (error as Error).message };
      }
    }),
  );
  if (!latest) {
    warnings.push('There is no complete backup yet: take one with "steadfast backup now".');
    return { status: { count: 0, repositories } };
  }
  const ageHours = (Date.now() - Date.parse(latest.record.finishedAt)) / 3_600_000;
  if (ageHours > backupStaleHours)
    warnings.push(
      `The latest backup (${latest.record.id}) is ${Math.floor(ageHours)} hours old; backups are due daily.`,
    );
  const { id, finishedAt, references } = latest.record;
  const full = listings.filter((listing) => !listing.record.references).at(-1)?.record;
  return {
    status: {
      count: listings.length,
      latest: {
        id,
        finishedAt,
        ageHours: Math.round(ageHours * 10) / 10,
        repositories: latest.repositories,
        type: references ? 'incremental' : 'full',
      },
      ...(references && full ? { latestFull: { id: full.id, finishedAt: full.finishedAt } } : {}),
      repositories,
    },
    oldestFinishedAt: listings[0]!.record.finishedAt,
  };
}

/** WAL files waiting in the spool past this many: a repository is failing or slow. */
const spoolBacklogFiles = 50;

/**
 * How many WAL files archive_command has left in `spool` for the pusher; a repository the pusher
 * cannot store WAL in is a warning at once, and so is a backlog.
 */
export async function observeWalSpool(spool: ObjectStore, warnings: string[], now = new Date()): Promise<number> {
  const state = await readArchiveState(spool).catch(() => undefined);
  for (const failing of state?.failing ?? []) {
    const minutes = Math.floor((now.getTime() - Date.parse(failing.since)) / 60_000);
    warnings.push(
      `WAL archiving to repository ${failing.repository} has been failing for ${minutes < 1 ? 'less than a minute' : `${minutes} minute(s)`} (since ${failing.since})${failing.error ? `: ${asClause(failing.error)}` : ''}. The WAL waits in the spool and is sent once the repository works again; fix the repository (see "steadfast backup verify" and the log).`,
    );
  }
  const spooled = (await spool.list('')).filter(
    (object) => !object.key.startsWith('.') && !object.key.includes('/'),
  ).length;
  if (spooled > spoolBacklogFiles)
    warnings.push(
      `${spooled} WAL files are waiting in the spool: a backup repository is failing or slow (see the log).`,
    );
  return spooled;
}
