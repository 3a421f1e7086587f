import { sql, type Kysely } from 'kysely';

/**
 * An index for each order the task list sorts in, with the id last in the same direction (the
 * keyset cursor's tie-break), so a page walks the index and stops: measured with
 * `npm run bench -- work-api` on 100,000 tasks, where these sorts read whole projects without.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX tasks_updated`.execute(db);
  await sql`CREATE INDEX tasks_updated ON tasks (project_id, updated_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tasks_created ON tasks (project_id, created_at DESC, id DESC)`.execute(db);
  await sql`
    CREATE INDEX tasks_priority ON tasks (
      project_id, (array_position(ARRAY['none','low','medium','high','urgent'], priority)) DESC, id DESC
    )`.execute(db);
  await sql`CREATE INDEX tasks_due_order ON tasks (project_id, (coalesce(due_date, 'infinity'::date)), id)`.execute(db);
  await sql`DROP INDEX tasks_board`.execute(db);
  await sql`CREATE INDEX tasks_board ON tasks (project_id, state_id, position, id)`.execute(db);
}
