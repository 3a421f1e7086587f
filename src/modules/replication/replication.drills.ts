import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { replicationDb } from './replication.tables.js';

/** A failover drill's outcome, as the drill reports it and the platform database keeps it. */
export interface FailoverDrillRecord {
  readonly mode: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly passed: boolean;
  readonly trials: readonly object[];
  readonly acknowledged: number;
  readonly lost: number;
  readonly rpoP99Ms: number | null;
  readonly rtoP99Seconds: number | null;
  readonly rtoMaxSeconds: number | null;
  readonly problems: string[];
}

/** The last failover drill of each mode, for `steadfast status`, metrics and the status page. */
export interface FailoverDrillSummary {
  readonly mode: string;
  readonly finishedAt: string;
  readonly passed: boolean;
  readonly trials: number;
  readonly lost: number;
  readonly rpoP99Ms: number | null;
  readonly rtoP99Seconds: number | null;
  readonly problems: string[];
}

export async function recordFailoverDrill(db: Kysely<PlatformTables>, drill: FailoverDrillRecord): Promise<void> {
  await replicationDb(db)
    .insertInto('failover_drills')
    .values({
      started_at: drill.startedAt,
      finished_at: drill.finishedAt,
      mode: drill.mode,
      passed: drill.passed,
      trials: drill.trials.length,
      acknowledged_writes: drill.acknowledged,
      lost_writes: drill.lost,
      rpo_p99_ms: drill.rpoP99Ms,
      rto_p99_s: drill.rtoP99Seconds,
      rto_max_s: drill.rtoMaxSeconds,
      detail: { trials: drill.trials },
      problems: JSON.stringify(drill.problems),
    })
    .execute();
}

export async function lastFailoverDrills(db: Kysely<PlatformTables>): Promise<FailoverDrillSummary[]> {
  const rows = await replicationDb(db)
    .selectFrom('failover_drills')
    .distinctOn('mode')
    .select(['mode', 'finished_at', 'passed', 'trials', 'lost_writes', 'rpo_p99_ms', 'rto_p99_s', 'problems'])
    .orderBy('mode')
    .orderBy('finished_at', 'desc')
    .execute();
  return rows.map((row) => ({
    mode: row.mode,
    finishedAt: row.finished_at.toISOString(),
    passed: row.passed,
    trials: row.trials,
    lost: Number(row.lost_writes),
    rpoP99Ms: row.rpo_p99_ms,
    rtoP99Seconds: row.rto_p99_s,
    problems: row.problems,
  }));
}
