import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../platform/jobs/queue.js';
import type { Schedule } from '../../platform/jobs/scheduler.js';
import type { BackupService } from './backup.service.js';

/** The scheduled full backup, followed by each repository's retention. */
export function baseBackupJob(backups: BackupService): JobDefinition {
  return defineJob({
    type: 'backup.base',
    schema: z.object({}),
    timeoutSeconds: 6 * 3600,
    maxAttempts: 2,
    backoffSeconds: 600,
    async handle(_payload, { progress, signal }) {
      let reportedAt = 0;
      const report = (p: { doneBytes: number; totalBytes?: number; phase: string }): void => {
        // At most once a second: the job row is for people and the API, not a log.
        if (Date.now() - reportedAt < 1000) return;
        reportedAt = Date.now();
        void progress({ done: p.doneBytes, total: p.totalBytes, unit: 'bytes', message: p.phase }).catch(() => undefined);
      };
      const result = await backups.take(report, signal);
      const retention = await backups.retention({ dryRun: false });
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

/** Daily at 02:00 by default, in the configured time zone. */
export function baseBackupSchedule(job: JobDefinition, cron: string, timeZone: string): Schedule {
  return { name: 'backup.base', cron, timeZone, job, payload: {} };
}
