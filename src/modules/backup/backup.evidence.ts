import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { Evidence } from '../../platform/evidence.js';
import { sizeOf } from '../../platform/units.js';
import { backupStaleHours, drillStaleHours, drillSummary } from './backup.drill-log.js';
import { cachedNewestBackup } from './backup.probes.js';
import type { BackupService } from './backup.service.js';
import type { Clock } from '../../platform/clock/clock.js';

const drillHow =
  'Every night the platform restores its newest backup from a repository into a scratch PostgreSQL on its own machine, ' +
  'replays the archived WAL up to a restore point made on the primary moments before, compares every workspace ' +
  "database with the primary's at that point, and checks every index with amcheck.";

const seconds = (value: number): string =>
  value < 90 ? `${Math.round(value * 10) / 10} s` : `${Math.round(value / 6) / 10} min`;

/**
 * What the backups prove, for the trust page: the last restore drill (its result, how long the
 * restore took, how far behind the archive was), and each repository's newest complete backup and
 * the retention it applies.
 */
export async function backupEvidence(
  db: Kysely<PlatformTables>,
  backups: BackupService | undefined,
  clock: Clock,
): Promise<Evidence[]> {
  const summary = await drillSummary(db);
  const last = summary.last;
  const drilledAt = last ? new Date(last.finishedAt) : undefined;
  const evidence: Evidence[] = [
    {
      id: 'restore-drill',
      section: 'Restores',
      label: 'Last verified restore',
      value: !last
        ? 'No restore drill has run yet.'
        : last.passed
          ? `Passed: ${sizeOf(last.restoredBytes)} restored and checked in ${seconds(last.durationSeconds)}.`
          : // What failed names workspaces and places: it stays in the operators' record, not on a public page.
            'Failed. The operators were alerted; the next drill will say whether it is mended.',
      measuredAt: drilledAt,
      renewedWithinHours: drillStaleHours,
      how: drillHow,
      ...(last && !last.passed ? { failed: true } : {}),
    },
    {
      id: 'rto-restore',
      section: 'Restores',
      label: 'Recovery time from backup (RTO)',
      value:
        last?.passed === true
          ? `${seconds(last.durationSeconds)} to restore the whole platform from a repository and check it.`
          : 'No passed drill to measure it from.',
      measuredAt: last?.passed === true ? drilledAt : undefined,
      renewedWithinHours: drillStaleHours,
      how: 'The time the last passed restore drill took, from fetching the backup to the restored copy checked.',
    },
    {
      id: 'rpo-archive',
      section: 'Restores',
      label: 'Recovery point if the data centre is lost (RPO)',
      value:
        last?.rpoSeconds !== null && last?.rpoSeconds !== undefined
          ? `${seconds(last.rpoSeconds)} of writes at most.`
          : 'Not measured by a drill yet.',
      measuredAt: last?.rpoSeconds !== null && last?.rpoSeconds !== undefined ? drilledAt : undefined,
      renewedWithinHours: drillStaleHours,
      how: "The restore drill times a commit on the primary until its WAL is stored in a repository: what losing the primary's disk at that moment would have cost.",
    },
  ];
  if (!backups) return evidence;
  for (const name of backups.repositoryNames()) {
    const newest = await cachedNewestBackup(backups, name, clock.now()).catch(() => undefined);
    const retention = backups.retentionOf(name);
    evidence.push(
      {
        id: `repository:${name}`,
        section: 'Backups',
        label: `Newest complete backup in ${name}`,
        value: newest
          ? `Backup ${newest.id}, finished ${newest.finishedAt.replace('T', ' ').slice(0, 16)} UTC.`
          : 'None yet.',
        measuredAt: newest ? new Date(newest.finishedAt) : undefined,
        renewedWithinHours: backupStaleHours,
        how: 'Read from the repository itself (its signed backup records), not from the platform’s memory of writing them. Backups are taken daily.',
      },
      {
        id: `retention:${name}`,
        section: 'Backups',
        label: `Retention in ${name}`,
        value: `The newest backup of each of the last ${retention.daily} days, ${retention.weekly} weeks and ${retention.monthly} months, with the WAL to restore to any moment since the oldest.`,
        measuredAt: undefined,
        renewedWithinHours: undefined,
        how: 'The retention this repository applies after each backup, as configured now.',
      },
    );
  }
  return evidence;
}
