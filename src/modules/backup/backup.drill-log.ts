import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { backupDb } from './backup.tables.js';
import type { DrillResult } from './backup.drill.js';

/** The drills as status and metrics see them. */
export interface DrillSummary {
  readonly last?: {
    finishedAt: string;
    passed: boolean;
    backupId: string | null;
    durationSeconds: number;
    restoreMbS: number | null;
    rpoSeconds: number | null;
    restoredBytes: number;
    problems: string[];
    /** Transactions that kept it from comparing any database exactly (DrillResult.unsettledTransactions). */
    unsettledTransactions: number;
  };
  readonly lastPassedAt?: string;
}

/** A drill older than this is a broken promise: they run nightly. */
export const drillStaleHours = 26;
/** A backup older than this is a broken promise (daily backups, with two hours of slack). */
export const backupStaleHours = 26;

export async function recordDrill(db: Kysely<PlatformTables>, drill: DrillResult): Promise<void> {
  await backupDb(db)
    .insertInto('backup_drills')
    .values({
      started_at: drill.startedAt,
      finished_at: drill.finishedAt,
      passed: drill.passed,
      backup_id: drill.backupId ?? null,
      repository: drill.repository ?? null,
      restore_point: drill.restorePoint ?? null,
      target_lsn: drill.targetLsn ?? null,
      restored_bytes: drill.restoredBytes,
      duration_seconds: drill.durationSeconds,
      restore_mb_s: drill.restoreMbS ?? null,
      rpo_seconds: drill.rpoSeconds ?? null,
      compared: drill.compared,
      changed: JSON.stringify(drill.changed),
      amcheck: JSON.stringify(drill.amcheck),
      problems: JSON.stringify(drill.problems),
      unsettled_transactions: drill.unsettledTransactions ?? 0,
    })
    .execute();
}

export async function drillSummary(db: Kysely<PlatformTables>): Promise<DrillSummary> {
  const last = await backupDb(db)
    .selectFrom('backup_drills')
    .selectAll()
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const passed = await backupDb(db)
    .selectFrom('backup_drills')
    .select('finished_at')
    .where('passed', '=', true)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    last: last && {
      finishedAt: last.finished_at.toISOString(),
      passed: last.passed,
      backupId: last.backup_id,
      durationSeconds: last.duration_seconds,
      restoreMbS: last.restore_mb_s,
      rpoSeconds: last.rpo_seconds,
      restoredBytes: Number(last.restored_bytes),
      problems: last.problems,
      unsettledTransactions: last.unsettled_transactions,
    },
    lastPassedAt: passed?.finished_at.toISOString(),
  };
}

/**
 * What an operator must hear about the drills: the last one failed, or none has passed for
 * a day and a bit although there has been a backup to drill for that long.
 */
export function drillWarnings(summary: DrillSummary, now: Date, oldestBackupAt: string | undefined): string[] {
  const warnings: string[] = [];
  const hoursSince = (at: string): number => (now.getTime() - Date.parse(at)) / 3_600_000;
  if (summary.last && !summary.last.passed) {
    warnings.push(
      `The last restore drill (${summary.last.finishedAt}) FAILED: ${summary.last.problems[0] ?? 'no reason recorded'}. Run "steadfast backup drill" after fixing it.`,
    );
  } else if (summary.last && summary.last.unsettledTransactions > 0) {
    warnings.push(
      `The last restore drill (${summary.last.finishedAt}) passed its amcheck but compared no database with the primary: ${summary.last.unsettledTransactions} transaction(s) committed before its restore point were still not visible on the primary after 10 s. A commit waits like that for a synchronous standby that does not answer: see "steadfast status".`,
    );
  }
  if (summary.lastPassedAt) {
    if (hoursSince(summary.lastPassedAt) > drillStaleHours)
      warnings.push(
        `No restore drill has passed for ${Math.floor(hoursSince(summary.lastPassedAt))} hours (last at ${summary.lastPassedAt}); they are due nightly.`,
      );
  } else if (oldestBackupAt && hoursSince(oldestBackupAt) > drillStaleHours) {
    warnings.push(
      `No restore drill has ever passed, and there have been backups for ${Math.floor(hoursSince(oldestBackupAt))} hours: run "steadfast backup drill".`,
    );
  }
  return warnings;
}
