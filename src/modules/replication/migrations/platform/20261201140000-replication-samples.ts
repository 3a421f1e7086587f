import { sql, type Kysely } from 'kysely';

/** Replication over time, for the status page: each standby's state and lag, sampled by the primary. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE replication_samples (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL,
      node text NOT NULL,
      standby text NOT NULL,
      state text NOT NULL,
      sync_state text,
      lag_bytes bigint,
      replay_lag_ms double precision,
      slot_retained_bytes bigint,
      slot_lost boolean NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX replication_samples_at ON replication_samples (at)`.execute(db);
}
