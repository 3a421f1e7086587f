import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../db/schema.js';
import type { Clock } from '../clock/clock.js';
import { pruneRateLimits } from '../http/rate-limit.js';
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

/** Deletes rate-limit counts whose window is over, so the table holds only live clients. */
export function pruneRateLimitsJob(db: Kysely<PlatformTables>) {
  return defineJob({
    type: 'rate_limits.prune',
    schema: z.object({}),
    timeoutSeconds: 120,
    maxAttempts: 1,
    backoffSeconds: 60,
    async handle() {
      return { deleted: await pruneRateLimits(db) };
    },
  });
}
