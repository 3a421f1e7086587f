import { sql, type Kysely } from 'kysely';

/**
 * What people are told: assigned to a task, mentioned, a watched task's state changed, a task
 * of theirs due soon. Read in the app; what stays unread is mailed in a digest, once. A
 * notification that must never repeat (one "due soon" per task, person and due date) carries a
 * dedupe key that the unique index holds to.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- The order they were made in, even within one transaction (and the list's cursor).
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('assigned', 'mentioned', 'state_changed', 'due_soon')),
      actor text,
      data jsonb NOT NULL DEFAULT '{}',
      dedupe text,
      created_at timestamptz NOT NULL DEFAULT now(),
      read_at timestamptz,
      emailed_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX notifications_user ON notifications (user_id, seq DESC)`.execute(db);
  await sql`CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX notifications_once ON notifications (user_id, task_id, kind, dedupe) WHERE dedupe IS NOT NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE notification_settings (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      email_digest text NOT NULL DEFAULT 'daily' CHECK (email_digest IN ('off', 'hourly', 'daily')),
      last_digest_at timestamptz
    )`.execute(db);
}
