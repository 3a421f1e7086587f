import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../platform/jobs/queue.js';
import type { Schedule } from '../../platform/jobs/scheduler.js';
import type { WorkService } from './work.service.js';

/** Forgets every active workspace's expired Idempotency-Keys and the live events no reconnecting client can still ask for. */
export function pruneJob(
  work: WorkService,
  workspaces: () => Promise<ReadonlyArray<{ slug: string; status: string }>>,
): JobDefinition {
  return defineJob({
    type: 'work.prune',
    schema: z.object({}),
    timeoutSeconds: 600,
    maxAttempts: 3,
    backoffSeconds: 60,
    async handle() {
      let keys = 0;
      let events = 0;
      for (const workspace of await workspaces()) {
        if (workspace.status !== 'active') continue;
        const pruned = await work.prune(workspace.slug);
        keys += pruned.keys;
        events += pruned.events;
      }
      return { keys, events };
    },
  });
}

export function pruneSchedule(job: JobDefinition): Schedule {
  return { name: 'work.prune', cron: '17 * * * *', timeZone: 'UTC', job, payload: {} };
}
