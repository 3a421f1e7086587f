import { sql, type Kysely } from 'kysely';

/**
 * Every message Steadfast sends, kept before it is sent: with no SMTP server configured it stays
 * here for the operator (`steadfast mail outbox`); with one, a job delivers it and retries, and a
 * message that never went out is still here, failed, with the reason. Once delivered, its body
 * (which may hold a one-time link) is dropped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE mail_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- the order messages were written in
      created_at timestamptz NOT NULL,
      tenant_slug text,
      kind text NOT NULL,
      recipient text NOT NULL,
      subject text NOT NULL,
      body text,
      status text NOT NULL CHECK (status IN ('kept', 'queued', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      sent_at timestamptz
    )`.execute(db);
}
