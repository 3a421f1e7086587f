import { sql, type Kysely } from 'kysely';

/** The record of restore drills: what was restored, how fast, how it compared, and why one failed. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE backup_drills (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      passed boolean NOT NULL,
      backup_id text,
      repository text,
      restore_point text,
      target_lsn pg_lsn,
      restored_bytes bigint NOT NULL,
      duration_seconds double precision NOT NULL,
      restore_mb_s double precision,
      rpo_seconds double precision,
      compared integer NOT NULL,
      changed jsonb NOT NULL,
      amcheck jsonb NOT NULL,
      problems jsonb NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX backup_drills_finished ON backup_drills (finished_at)`.execute(db);
}
