import { sql, type Kysely } from 'kysely';

/** Extra headers of a message (List-Unsubscribe for mail to subscribers). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE mail_outbox ADD COLUMN headers jsonb`.execute(db);
}
