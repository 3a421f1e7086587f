import { sql, type Kysely } from 'kysely';

/**
 * Email subscriptions to the status page (double opt-in), and the notices to send them: each
 * published incident update and platform-wide maintenance announcement, written in the
 * transaction of the change and sent by the leader.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE status_subscribers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL UNIQUE CHECK (email = lower(email)),
      created_at timestamptz NOT NULL,
      confirm_sent_at timestamptz NOT NULL,
      confirmed_at timestamptz,
      unsubscribed_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE status_notices (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      subject text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL,
      sent_at timestamptz,
      recipients integer
    )`.execute(db);
  await sql`CREATE INDEX status_notices_unsent ON status_notices (id) WHERE sent_at IS NULL`.execute(db);
}
