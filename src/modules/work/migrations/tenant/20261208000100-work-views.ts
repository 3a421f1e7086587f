import { sql, type Kysely } from 'kysely';

/**
 * Saved views: a named set of a project's task filters and sort, kept by one person for
 * themselves or shared with everyone in the project. The filters are stored as the task list's
 * own query parameters, so a view is exactly what `GET /tasks?…` would answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE saved_views (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      shared boolean NOT NULL DEFAULT false,
      layout text NOT NULL DEFAULT 'list' CHECK (layout IN ('list', 'board')),
      query jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // A shared view's name is the project's; a personal one's is its owner's.
  await sql`CREATE UNIQUE INDEX saved_views_shared_name ON saved_views (project_id, lower(name)) WHERE shared`.execute(
    db,
  );
  await sql`CREATE UNIQUE INDEX saved_views_own_name ON saved_views (project_id, owner_id, lower(name)) WHERE NOT shared`.execute(
    db,
  );
}
