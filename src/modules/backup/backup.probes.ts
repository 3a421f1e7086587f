import { systemClock, type Clock } from '../../platform/clock/clock.js';
import { asClause } from '../../platform/errors.js';
import { timed, type Probe, type ProbeOutcome } from '../../platform/probes.js';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { backupStaleHours, drillStaleHours, drillSummary, type DrillSummary } from './backup.drill-log.js';
import type { BackupService } from './backup.service.js';
import type { ArchiveStatus, WalPusher } from './backup.wal.js';

/** WAL waiting in the spool longer than this is late: the pusher looks at the spool twice a second. */
export const archiveLagLimitSeconds = 60;

/** Listing a repository's backups costs requests (S3 pages, an SFTP walk): its newest backup is looked up again after this. */
const newestBackupTtlMs = 5 * 60_000;

const tenths = (value: number): number => Math.round(value * 10) / 10;

/** The WAL archive as the pusher's status shows it: repositories failing first, then how long WAL has waited. */
export function archiveOutcome(status: ArchiveStatus, now: Date): ProbeOutcome {
  const lagSeconds = status.oldestWaitingSince
    ? Math.max(0, (now.getTime() - Date.parse(status.oldestWaitingSince)) / 1000)
    : 0;
  const figures = { archive_lag_seconds: tenths(lagSeconds), wal_spooled_files: status.spooled };
  const waiting =
    status.spooled === 0
      ? 'no WAL waits in the spool'
      : `${status.spooled} WAL file(s) wait in the spool, the oldest for ${tenths(lagSeconds)} s`;
  const failing = status.repositories.filter((repository) => repository.failingSince);
  if (failing.length > 0) {
    const failures = failing.map(
      (repository) =>
        `storing WAL in ${repository.name} fails since ${repository.failingSince}${repository.lastError ? ` (${asClause(repository.lastError)})` : ''}`,
    );
    const state = failing.length === status.repositories.length ? 'major_outage' : 'partial_outage';
    return { state, figures, message: `${failures.join('; ')}; ${waiting}` };
  }
  if (lagSeconds > archiveLagLimitSeconds)
    return { state: 'degraded', figures, message: `${waiting} (over ${archiveLagLimitSeconds} s)` };
  return { state: 'operational', figures, message: waiting };
}

/** What one look at a repository found. */
export interface RepositoryLook {
  /** How long reading its claim took: a round trip to it. */
  readonly responseMs: number;
  /** Its newest complete backup; absent when it holds none. */
  readonly newestBackup?: { readonly id: string; readonly finishedAt: string } | undefined;
}

/** A repository that answered: degraded while its newest backup is missing or older than a day and a bit. */
export function repositoryOutcome(look: RepositoryLook, now: Date): ProbeOutcome {
  const { responseMs, newestBackup } = look;
  const answered = `answered in ${responseMs} ms`;
  if (!newestBackup) return { state: 'degraded', responseMs, message: `${answered}; it holds no complete backup yet` };
  const ageHours = (now.getTime() - Date.parse(newestBackup.finishedAt)) / 3_600_000;
  const figures = { last_backup_age_hours: tenths(ageHours) };
  const newest = `${answered}; newest backup ${newestBackup.id}, ${tenths(ageHours)} h old`;
  if (ageHours > backupStaleHours)
    return { state: 'degraded', responseMs, figures, message: `${newest} (over ${backupStaleHours} h)` };
  return { state: 'operational', responseMs, figures, message: newest };
}

/** The WAL archive of the pusher in this process. */
export function walArchiveProbe(pusher: WalPusher, clock: Clock = systemClock): Probe {
  return {
    component: {
      id: 'wal-archive',
      name: 'WAL archiving',
      description: 'Every change is copied to the backup repositories within seconds',
    },
    check: async (signal) => archiveOutcome(await untilAborted(pusher.status(), signal), clock.now()),
  };
}

/** Each backup repository: that it answers, and how old its newest backup is. */
export function repositoryProbes(backups: BackupService, clock: Clock = systemClock): Probe[] {
  return backups.repositoryNames().map((name) => ({
    component: {
      id: `repository:${name}`,
      name: `Backup repository ${name}`,
      description: 'Keeps the backups and the archived WAL a restore starts from',
    },
    check: async (signal) => {
      const { ms } = await timed(() => untilAborted(backups.reach(name), signal));
      const newestBackup = await untilAborted(cachedNewestBackup(backups, name, clock.now()), signal);
      return repositoryOutcome({ responseMs: ms, newestBackup }, clock.now());
    },
  }));
}

type Newest = RepositoryLook['newestBackup'];
/** Per service (the probes are made anew each round), per repository: the newest backup, and when it was looked up. */
const newestBackups = new WeakMap<BackupService, Map<string, { readonly at: number; readonly newest: Newest }>>();

/** The repository's newest backup, listed at most every few minutes (its age is judged in hours). */
export async function cachedNewestBackup(backups: BackupService, name: string, now: Date): Promise<Newest> {
  const known = newestBackups.get(backups) ?? new Map<string, { at: number; newest: Newest }>();
  newestBackups.set(backups, known);
  const cached = known.get(name);
  if (cached && now.getTime() - cached.at < newestBackupTtlMs) return cached.newest;
  const record = await backups.newestBackupIn(name);
  const newest = record && { id: record.id, finishedAt: record.finishedAt };
  // An empty repository is cheap to list, and its first backup should show at once.
  if (newest) known.set(name, { at: now.getTime(), newest });
  return newest;
}

/** Settles as `work` does, or fails once `signal` aborts (stores take no signal: their request runs on, unheard). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(signal.reason as Error);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * The nightly restore drill as a component (kept off the status page; the trust page shows its
 * figures): degraded when the last drill failed or none passed within `drillStaleHours`.
 */
export function drillOutcome(summary: DrillSummary, now: Date): ProbeOutcome {
  const passedHoursAgo = summary.lastPassedAt
    ? (now.getTime() - Date.parse(summary.lastPassedAt)) / 3_600_000
    : undefined;
  const failed = summary.last !== undefined && !summary.last.passed;
  const figures = {
    drill_failed: failed ? 1 : 0,
    ...(passedHoursAgo === undefined ? {} : { drill_age_hours: tenths(passedHoursAgo) }),
  };
  const lastPassed =
    passedHoursAgo === undefined ? 'no drill has passed yet' : `the last passed ${tenths(passedHoursAgo)} h ago`;
  if (failed) return { state: 'degraded', figures, message: `the last restore drill failed; ${lastPassed}` };
  if (passedHoursAgo === undefined || passedHoursAgo > drillStaleHours)
    return { state: 'degraded', figures, message: `${lastPassed} (a drill is due every ${drillStaleHours} h)` };
  return { state: 'operational', figures, message: lastPassed };
}

/** The restore drill's record, read each round. */
export function drillProbe(db: Kysely<PlatformTables>, clock: Clock = systemClock): Probe {
  return {
    component: {
      id: 'restore-drill',
      name: 'Restore drill',
      description: 'The nightly restore of the latest backup, checked against the primary',
      public: false,
    },
    check: async () => drillOutcome(await drillSummary(db), clock.now()),
  };
}
