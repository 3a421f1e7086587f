import { z } from 'zod';
import { defineJob, type JobDefinition, type JobProgress } from '../../platform/jobs/queue.js';
import type { Schedule } from '../../platform/jobs/scheduler.js';
import type { DrillProgress, DrillResult } from './backup.drill.js';
import type { BackupService } from './backup.service.js';

/**
 * The scheduled full backup, followed by each repository's retention (`retention: false`: not
 * this time, as after a recovery, when nothing of the lost platform's is removed unasked).
 */
export function baseBackupJob(backups: BackupService): JobDefinition {
  return defineJob({
    type: 'backup.base',
    schema: z.object({ retention: z.boolean().default(true) }),
    timeoutSeconds: 6 * 3600,
    maxAttempts: 2,
    backoffSeconds: 600,
    async handle(payload, { progress, signal }) {
      const result = await backups.take(throttled(progress), signal);
      const retention = payload.retention ? await backups.retention({ dryRun: false }) : [];
      return {
        id: result.record.id,
        stored: result.stored,
        failed: result.failed,
        seconds: result.seconds,
        removed: retention.flatMap((report) => report.remove.map((id) => `${report.repository}/${id}`)),
      };
    },
  });
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
