import { z } from 'zod';
import { defineJob, type JobDefinition, type JobProgress } from '../../platform/jobs/queue.js';
import { latestFireAtOrBefore, type Schedule } from '../../platform/jobs/scheduler.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { DrillProgress, DrillResult } from './backup.drill.js';
import type { BackupService } from './backup.service.js';

/**
 * The scheduled backup, followed by each repository's retention (`retention: false`: not this
 * time, as after a recovery, when nothing of the lost platform's is removed unasked). It is full
 * when one is due by `fulls` (the first since its latest moment), or `full` asks; else
 * incremental. Without `fulls` every backup is full.
 */
export function baseBackupJob(
  backups: BackupService,
  options: { fulls?: { cron: string; timeZone: string } | undefined; clock: Clock },
): JobDefinition {
  return defineJob({
    type: 'backup.base',
    schema: z.object({ retention: z.boolean().default(true), full: z.boolean().default(false) }),
    timeoutSeconds: 6 * 3600,
    maxAttempts: 2,
    backoffSeconds: 600,
    async handle(payload, { progress, signal }) {
      const incremental =
        !payload.full && options.fulls !== undefined && !(await fullIsDue(backups, options.fulls, options.clock.now()));
      const result = await backups.take(throttled(progress), signal, { incremental });
      const retention = payload.retention ? await backups.retention({ dryRun: false }) : [];
      return {
        id: result.record.id,
        incremental: result.record.references !== undefined,
        ...(result.fullBecause ? { fullBecause: result.fullBecause } : {}),
        stored: result.stored,
        failed: result.failed,
        seconds: result.seconds,
        removed: retention.flatMap((report) => report.remove.map((id) => `${report.repository}/${id}`)),
      };
    },
  });
}

/** Whether a moment of the full-backup schedule has come since the latest full backup started. */
async function fullIsDue(
  backups: BackupService,
  fulls: { cron: string; timeZone: string },
  now: Date,
): Promise<boolean> {
  const lastFull = (await backups.list()).filter((listing) => !listing.record.references).at(-1);
  if (!lastFull) return true;
  return latestFireAtOrBefore(fulls.cron, fulls.timeZone, now).getTime() > Date.parse(lastFull.record.startedAt);
}

/**
 * The restore drill: `drill` restores, checks and records. A failed drill fails the job (once:
 * a second try would hide the failure behind a pass), after it is recorded for status and metrics.
 */
export function restoreDrillJob(
  drill: (onProgress: (progress: DrillProgress) => void) => Promise<DrillResult>,
): JobDefinition {
  return defineJob({
    type: 'backup.drill',
    schema: z.object({}),
    timeoutSeconds: 12 * 3600,
    maxAttempts: 1,
    backoffSeconds: 0,
    async handle(_payload, { progress }) {
      const result = await drill(throttled(progress));
      if (!result.passed) throw new Error(`the restore drill failed: ${result.problems.join('; ')}`);
      return { ...result };
    },
  });
}

/** Progress into the job row at most once a second: it is for people and the API, not a log. */
function throttled(
  progress: (progress: JobProgress) => Promise<void>,
): (p: { doneBytes: number; totalBytes?: number | undefined; phase: string }) => void {
  let reportedAt = 0;
  return (p: { doneBytes: number; totalBytes?: number | undefined; phase: string }): void => {
    if (Date.now() - reportedAt < 1000) return;
    reportedAt = Date.now();
    void progress({
      done: p.doneBytes,
      ...(p.totalBytes === undefined ? {} : { total: p.totalBytes }),
      unit: 'bytes',
      message: p.phase,
    }).catch(() => undefined);
  };
}

/** Daily at 02:00 by default, in the configured time zone. */
export function baseBackupSchedule(job: JobDefinition, cron: string, timeZone: string): Schedule {
  return { name: 'backup.base', cron, timeZone, job, payload: {} };
}

/** Nightly at 03:30 by default, after the backup, in the configured time zone. */
export function restoreDrillSchedule(job: JobDefinition, cron: string, timeZone: string): Schedule {
  return { name: 'backup.drill', cron, timeZone, job, payload: {} };
}
