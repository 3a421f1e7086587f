import { sql, type Kysely } from 'kysely';

/**
 * Monthly SLA reports as issued: once a month is over, each workspace's report is written here
 * and never recomputed (a report a customer was sent stays what they were sent).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE status_sla_reports (
      month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      tenant_slug text NOT NULL,
      report jsonb NOT NULL,
      issued_at timestamptz NOT NULL,
      PRIMARY KEY (month, tenant_slug)
    )`.execute(db);
}
