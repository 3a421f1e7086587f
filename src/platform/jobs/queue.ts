import { sql, type Kysely, type Selectable } from 'kysely';
import type { z } from 'zod';
import type { JobsTable, PlatformTables } from '../db/schema.js';

export type JobRow = Selectable<JobsTable>;

/** Progress a long job reports; shown by the CLI and, later, the API. */
export interface JobProgress {
  readonly done: number;
  readonly total?: number;
  readonly unit?: string;
  readonly message?: string;
}

export interface JobContext {
  readonly jobId: string;
  readonly attempt: number;
  /** Aborted when the job's timeout passes or the worker shuts down; long work should stop at once. */
  readonly signal: AbortSignal;
  progress(progress: JobProgress): Promise<void>;
}

/**
 * A kind of background work. The payload is validated by its schema when enqueued and
 * again when run. Handlers must be idempotent: a job whose worker died is run again.
 */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  /** First retry delay; doubled on every further attempt. */
  readonly backoffSeconds: number;
  handle(payload: z.infer<S>, context: JobContext): Promise<Record<string, unknown> | void>;
}

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

export interface EnqueueOptions {
  readonly runAt?: Date;
  /** Enqueuing the same key twice yields the first job: schedules and retries stay idempotent. */
  readonly dedupeKey?: string;
  readonly priority?: number;
}

/**
 * The Postgres-backed job table: enqueue, claim, finish. Its times all come from the
 * database's clock (`now()`), the one every process shares, never from a process's own.
 */
export class JobQueue {
  constructor(private readonly db: Kysely<PlatformTables>) {}

  async enqueue<S extends z.ZodType>(
    definition: JobDefinition<S>,
    payload: z.input<S>,
    options: EnqueueOptions = {},
  ): Promise<{ id: string; created: boolean }> {
    const parsed = definition.schema.parse(payload) as Record<string, unknown>;
    const inserted = await this.db
      .insertInto('jobs')
      .values({
        type: definition.type,
        payload: JSON.stringify(parsed),
        run_at: options.runAt ?? sql<Date>`now()`,
        priority: options.priority,
        max_attempts: definition.maxAttempts,
        timeout_seconds: definition.timeoutSeconds,
        backoff_seconds: definition.backoffSeconds,
        dedupe_key: options.dedupeKey ?? null,
      } as never)
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, created: true };
    const existing = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('dedupe_key', '=', options.dedupeKey!)
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }

  get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Hands jobs whose worker stopped renewing its lock back to the queue, or fails them
   * when they have used all their attempts.
   */
  async requeueExpired(): Promise<number> {
    const result = await sql`
      UPDATE jobs SET
        status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
        finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
        last_error = 'the worker running it stopped before finishing (lock expired)',
        locked_by = NULL, locked_until = NULL
      WHERE status = 'running' AND locked_until < now()`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Takes the next due job of the given types for `worker`, or none. Safe under many workers (SKIP LOCKED). */
  async claim(worker: string, types: readonly string[]): Promise<JobRow | undefined> {
    if (types.length === 0) return undefined;
    const result = await sql<JobRow>`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ${worker},
        locked_until = now() + make_interval(secs => timeout_seconds + 30), started_at = now()
      WHERE id = (
        SELECT id FROM jobs
        WHERE status = 'queued' AND run_at <= now() AND type = ANY(${sql.val([...types])}::text[])
        ORDER BY priority, run_at, id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
      RETURNING *`.execute(this.db);
    return result.rows[0];
  }

  async succeed(job: JobRow, result: Record<string, unknown> | void): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({
        status: 'succeeded',
        result: JSON.stringify(result ?? {}),
        finished_at: sql<Date>`now()`,
        locked_by: null,
        locked_until: null,
        last_error: null,
      })
      .where('id', '=', job.id)
      .where('locked_by', '=', job.locked_by)
      .execute();
  }

  /** Records a failure: back to the queue after a backoff, or failed for good after the last attempt. */
  async fail(job: JobRow, message: string): Promise<'retrying' | 'failed'> {
    const final = job.attempts >= job.max_attempts;
    const delaySeconds = job.backoff_seconds * 2 ** Math.max(0, job.attempts - 1);
    await this.db
      .updateTable('jobs')
      .set({
        status: final ? 'failed' : 'queued',
        last_error: message.slice(0, 4000),
        run_at: final ? job.run_at : sql<Date>`now() + make_interval(secs => ${delaySeconds})`,
        finished_at: final ? sql<Date>`now()` : null,
        locked_by: null,
        locked_until: null,
      })
      .where('id', '=', job.id)
      .where('locked_by', '=', job.locked_by)
      .execute();
    return final ? 'failed' : 'retrying';
  }

  async reportProgress(jobId: string, progress: JobProgress): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ progress: JSON.stringify(progress) })
      .where('id', '=', jobId)
      .execute();
  }

  /** Deletes finished jobs older than the cutoff; returns how many. */
  async pruneFinished(olderThan: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('jobs')
      .where('status', 'in', ['succeeded', 'failed'])
      .where('finished_at', '<', olderThan)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
