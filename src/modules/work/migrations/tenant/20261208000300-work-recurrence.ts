import { sql, type Kysely } from 'kysely';

/**
 * Recurring tasks: a task that repeats (every N days, weeks or months, or on given weekdays)
 * is copied, for each occurrence, into a new task due that day. Each occurrence is recorded
 * with the task it made, and its primary key is the rule and the day: however often the
 * scheduler runs, or however many run at once, an occurrence makes one task.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE task_recurrences (
      task_id uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      frequency text NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
      every integer NOT NULL CHECK (every BETWEEN 1 AND 365),
      weekdays smallint[] NOT NULL DEFAULT '{}' CHECK (weekdays <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]),
      starts_on date NOT NULL,
      ends_on date CHECK (ends_on IS NULL OR ends_on >= starts_on),
      next_on date,
      version integer NOT NULL DEFAULT 1,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX task_recurrences_next ON task_recurrences (next_on) WHERE next_on IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE task_occurrences (
      recurrence_task_id uuid NOT NULL REFERENCES task_recurrences (task_id) ON DELETE CASCADE,
      occurs_on date NOT NULL,
      made_task_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
      made_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (recurrence_task_id, occurs_on)
    )`.execute(db);
}
