import { sql, type Kysely } from 'kysely';

/** How many transactions kept a drill from comparing its databases exactly (see DrillResult.unsettledTransactions). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE backup_drills ADD COLUMN unsettled_transactions integer NOT NULL DEFAULT 0`.execute(db);
}
