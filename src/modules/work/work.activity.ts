import { sql, type Kysely, type Transaction } from 'kysely';
import type { WorkActor } from './work.policy.js';
import type { WorkDatabase } from './work.tables.js';

/** One field of a change: what it was and what it became (JSON values; null for none). */
export interface Change {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** What a project's live stream carries: which task changed and how, for boards to apply. */
export interface WorkEvent {
  readonly id: number;
  readonly kind: string;
  readonly at: Date;
  readonly data: Record<string, unknown>;
}

/** The channel work's events are announced on, per database: the payload is `<project id>:<event id>`. */
export const workChannel = 'steadfast_work';

/** Records each change in the task's (or project's) history, in the caller's transaction. */
export async function recordActivity(
  tx: Transaction<WorkDatabase>,
  target: { projectId: string; taskId: string | null },
  actor: WorkActor,
  changes: readonly Change[],
  at: Date,
): Promise<void> {
  if (changes.length === 0) return;
  await tx
    .insertInto('activity')
    .values(
      changes.map((change) => ({
        project_id: target.projectId,
        task_id: target.taskId,
        actor: actor.name,
        actor_id: actor.userId || null,
        at,
        field: change.field,
        before: JSON.stringify(change.before ?? null),
        after: JSON.stringify(change.after ?? null),
      })),
    )
    .execute();
}

/**
 * Stores an event of the project and announces it: NOTIFY is delivered at commit, so a listener
 * in any process hears only what committed, and a stream that reconnects reads what it missed.
 */
export async function publish(
  tx: Transaction<WorkDatabase>,
  projectId: string,
  kind: string,
  data: Record<string, unknown>,
): Promise<void> {
  const { id } = await tx
    .insertInto('work_events')
    .values({ project_id: projectId, kind, data: JSON.stringify(data) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`SELECT pg_notify(${workChannel}, ${`${projectId}:${id}`})`.execute(tx);
}

/** The project's events after `afterId`, oldest first (at most `limit`). */
export async function eventsAfter(
  db: Kysely<WorkDatabase>,
  projectId: string,
  afterId: number,
  limit = 500,
): Promise<WorkEvent[]> {
  return db
    .selectFrom('work_events')
    .select(['id', 'kind', 'at', 'data'])
    .where('project_id', '=', projectId)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The changes between two records, field by field, for the fields named. */
export function diff<T extends Record<string, unknown>>(before: T, after: T, fields: readonly (keyof T)[]): Change[] {
  return fields
    .filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null))
    .map((field) => ({ field: String(field), before: before[field] ?? null, after: after[field] ?? null }));
}
