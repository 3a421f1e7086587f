import { sql, type Kysely } from 'kysely';

/**
 * Files attached to tasks, kept in the workspace's own database so its backups, PITR and
 * restores carry them with everything else. The content is stored out of line (TOAST); the
 * size is kept beside it so the workspace's total is summed without reading a byte of it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE attachments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
      media_type text NOT NULL CHECK (length(media_type) BETWEEN 3 AND 255),
      size integer NOT NULL CHECK (size >= 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea NOT NULL,
      uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (octet_length(content) = size)
    )`.execute(db);
  await sql`CREATE INDEX attachments_task ON attachments (task_id, created_at)`.execute(db);
}
