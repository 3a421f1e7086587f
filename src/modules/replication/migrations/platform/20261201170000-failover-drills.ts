import { sql, type Kysely } from 'kysely';

/**
 * Failover drills: the journal of writes a drill's load sends through the HTTP API (in the
 * drill's scratch cluster), and each drill's outcome (in the installation that ran it), for
 * the status page.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE drill_writes (
      tenant_id uuid NOT NULL,
      sequence bigint NOT NULL,
      written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (tenant_id, sequence)
    )`.execute(db);
  await sql`
    CREATE TABLE failover_drills (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      mode text NOT NULL,
      passed boolean NOT NULL,
      trials integer NOT NULL,
      acknowledged_writes bigint NOT NULL,
      lost_writes bigint NOT NULL,
      rpo_p99_ms double precision,
      rto_p99_s double precision,
      rto_max_s double precision,
      detail jsonb NOT NULL,
      problems jsonb NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX failover_drills_finished ON failover_drills (finished_at)`.execute(db);
}
