import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../platform/jobs/queue.js';
import type { Schedule } from '../../platform/jobs/scheduler.js';
import type { OutgoingMail } from '../../platform/mail/mail.js';
import type { PendingDigest } from './work.notifications.js';
import type { WorkService } from './work.service.js';

/** A workspace as work's jobs need it: where it is, what it is called, whether it is in service. */
export interface JobWorkspace {
  readonly slug: string;
  readonly name: string;
  readonly url: string;
  readonly status: string;
}

export interface WorkJobDeps {
  readonly work: WorkService;
  readonly workspaces: () => Promise<readonly JobWorkspace[]>;
  readonly mail: { send(message: OutgoingMail): Promise<{ id: string }> };
}

/** A job that does `each` in every active workspace, in turn, and sums the counts it answers. */
function everyWorkspace(
  type: string,
  workspaces: WorkJobDeps['workspaces'],
  each: (workspace: JobWorkspace) => Promise<Record<string, number>>,
): JobDefinition {
  return defineJob({
    type,
    schema: z.object({}),
    timeoutSeconds: 600,
    maxAttempts: 3,
    backoffSeconds: 60,
    async handle() {
      const totals: Record<string, number> = {};
      for (const workspace of await workspaces()) {
        if (workspace.status !== 'active') continue;
        for (const [name, count] of Object.entries(await each(workspace))) totals[name] = (totals[name] ?? 0) + count;
      }
      return totals;
    },
  });
}

const hourly = (job: JobDefinition, minute: number): Schedule => ({
  name: job.type,
  cron: `${minute} * * * *`,
  timeZone: 'UTC',
  job,
  payload: {},
});

/** The digest mail: what happened, a link to each task, and where to change how often it comes. */
export function digestMail(workspace: JobWorkspace, digest: PendingDigest, shown = 20): OutgoingMail {
  const items = digest.items.slice(0, shown);
  const more = digest.items.length - items.length;
  const first = digest.items[0]!;
  return {
    kind: 'work.digest',
    tenant: workspace.slug,
    to: digest.email,
    subject:
      digest.items.length === 1
        ? `${first.summary} (${workspace.name})`
        : `${digest.items.length} notifications in ${workspace.name}`,
    text: [
      `Hello ${digest.name},`,
      '',
      `Here is what happened in ${workspace.name} that you have not read yet:`,
      '',
      ...items.flatMap((item) => [
        `- ${item.summary}`,
        ...(item.task ? [`  ${workspace.url}/projects/${item.task.key.split('-')[0]}/tasks/${item.task.key}`] : []),
      ]),
      ...(more > 0 ? ['', `… and ${more} more.`] : []),
      '',
      `All your notifications: ${workspace.url}/notifications`,
      `Change how often this mail comes, or turn it off: ${workspace.url}/account`,
    ].join('\n'),
  };
}

/**
 * Work's scheduled jobs, each run by the leader's scheduler: forgetting expired Idempotency-Keys
 * and old live events; copying recurring tasks due today (once per occurrence); telling assignees of tasks due soon (once per task, person and due date);
 * and mailing digests of unread notifications.
 */
export function workJobs({ work, workspaces, mail }: WorkJobDeps): {
  jobs: JobDefinition[];
  schedules: Schedule[];
} {
  const prune = everyWorkspace('work.prune', workspaces, (workspace) => work.prune(workspace.slug));
  const dueSoon = everyWorkspace('work.due-soon', workspaces, async (workspace) => ({
    notified: await work.notifyDueSoon(workspace.slug),
  }));
  const recur = everyWorkspace('work.recur', workspaces, (workspace) => work.makeRecurringTasks(workspace.slug));
  const digest = everyWorkspace('work.digest', workspaces, async (workspace) => {
    let mailed = 0;
    // At least once: the mail is kept in the outbox before its notifications are marked carried.
    for (const pending of await work.pendingDigests(workspace.slug)) {
      await mail.send(digestMail(workspace, pending));
      await work.markDigested(workspace.slug, pending);
      mailed += 1;
    }
    return { mailed };
  });
  return {
    jobs: [prune, recur, dueSoon, digest],
    schedules: [hourly(prune, 17), hourly(recur, 1), hourly(dueSoon, 5), hourly(digest, 10)],
  };
}
