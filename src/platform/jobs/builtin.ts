import { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import { defineJob, type JobQueue } from './queue.js';

/** Deletes finished jobs after `keepDays`, so the job table stays small. */
export function pruneJobsJob(queue: JobQueue, clock: Clock) {
  return defineJob({
    type: 'jobs.prune',
    schema: z.object({ keepDays: z.number().int().positive().default(30) }),
    timeoutSeconds: 300,
    maxAttempts: 3,
    backoffSeconds: 60,
    async handle({ keepDays }) {
      const deleted = await queue.pruneFinished(new Date(clock.now().getTime() - keepDays * 86_400_000));
      return { deleted };
    },
  });
}
