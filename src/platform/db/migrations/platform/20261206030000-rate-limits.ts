import { sql, type Kysely } from 'kysely';

/**
 * Request counts per client and window, shared by every Steadfast process on this database, so a
 * limit holds however many `serve` processes answer. UNLOGGED: a count costs no WAL and no fsync,
 * and after a crash or a failover the counts start again from zero, which only forgives.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE rate_limits (
      key text PRIMARY KEY,
      hits integer NOT NULL,
      resets_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX rate_limits_resets_at ON rate_limits (resets_at)`.execute(db);
}
