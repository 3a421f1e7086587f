import { sql, type Kysely } from 'kysely';

/**
 * A tenant database starts with its settings; users, projects and the rest arrive with
 * their modules' migrations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE settings (
      key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,99}$'),
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}
