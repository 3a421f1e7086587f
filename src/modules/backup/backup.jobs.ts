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
    async handle(_payload, { progress }) {
      const result = await backups.take((p) => void progress({ done: p.doneBytes, total: p.totalBytes, unit: 'bytes', message: p.phase }).catch(() => undefined));
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
