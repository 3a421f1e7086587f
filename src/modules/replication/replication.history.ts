import { sql, type Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { replicationDb } from './replication.tables.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import { readReplicationState, type ReplicationState } from '../../platform/postgres/replication-status.js';
import { nodeOfSlot, slotName } from './replication.state.js';

/** How long samples are kept: the status page shows up to 90 days. */
export const sampleRetentionDays = 90;

/** One standby at one moment, as the primary saw it. */
export interface ReplicationSample {
  readonly at: Date;
  readonly node: string;
  readonly standby: string;
  /** PostgreSQL's sender state (`streaming`, `catchup`, ...), or `disconnected` when only its slot is there. */
  readonly state: string;
  readonly syncState: string | null;
  readonly lagBytes: number | null;
  readonly replayLagMs: number | null;
  readonly slotRetainedBytes: number | null;
  readonly slotLost: boolean;
}

/**
 * The samples of one look at a primary: a row per standby it knows, connected (pg_stat_replication)
 * or not (only its slot, named steadfast_<node>). A standby has nothing to sample.
 */
export function samplesOf(state: ReplicationState, node: string, at: Date): ReplicationSample[] {
  if (state.role !== 'primary') return [];
  const samples = new Map<string, ReplicationSample>();
  for (const seen of state.standbys) {
    const slot = state.slots.find((candidate) => candidate.name === slotName(seen.name));
    samples.set(seen.name, {
      at,
      node,
      standby: seen.name,
      state: seen.state,
      syncState: seen.syncState,
      lagBytes: seen.lagBytes,
      replayLagMs: seen.replayLagMs,
      slotRetainedBytes: slot?.retainedBytes ?? null,
      slotLost: slot?.walStatus === 'lost',
    });
  }
  for (const slot of state.slots) {
    const standby = nodeOfSlot(slot.name);
    if (samples.has(standby)) continue;
    samples.set(standby, {
      at,
      node,
      standby,
      state: 'disconnected',
      syncState: null,
      lagBytes: null,
      replayLagMs: null,
      slotRetainedBytes: slot.retainedBytes,
      slotLost: slot.walStatus === 'lost',
    });
  }
  return [...samples.values()];
}

/**
 * Stores samples. The transaction commits locally only: a sample must never wait for (or on) a
 * synchronous standby that is away, and one lost in a failover is no loss.
 */
export async function recordSamples(db: Kysely<PlatformTables>, samples: readonly ReplicationSample[]): Promise<void> {
  if (samples.length === 0) return;
  await replicationDb(db)
    .transaction()
    .execute(async (trx) => {
      await sql`SET LOCAL synchronous_commit = local`.execute(trx);
      await trx
        .insertInto('replication_samples')
        .values(
          samples.map((sample) => ({
            at: sample.at,
            node: sample.node,
            standby: sample.standby,
            state: sample.state,
            sync_state: sample.syncState,
            lag_bytes: sample.lagBytes === null ? null : Math.round(sample.lagBytes),
            replay_lag_ms: sample.replayLagMs,
            slot_retained_bytes: sample.slotRetainedBytes === null ? null : Math.round(sample.slotRetainedBytes),
            slot_lost: sample.slotLost,
          })),
        )
        .execute();
    });
}

/** Removes samples older than the retention; returns how many. */
export async function pruneSamples(db: Kysely<PlatformTables>, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - sampleRetentionDays * 86_400_000);
  return replicationDb(db)
    .transaction()
    .execute(async (trx) => {
      await sql`SET LOCAL synchronous_commit = local`.execute(trx);
      const result = await trx.deleteFrom('replication_samples').where('at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
}

/** Per standby since `since`: how much of the time it streamed, and its replay lag and byte lag at the 99th percentile and worst. */
export interface LagHistory {
  readonly standby: string;
  readonly samples: number;
  readonly streamingShare: number;
  readonly replayLagP99Ms: number | null;
  readonly lagBytesMax: number | null;
}

export async function lagHistory(db: Kysely<PlatformTables>, since: Date): Promise<LagHistory[]> {
  const rows = await replicationDb(db)
    .selectFrom('replication_samples')
    .select([
      'standby',
      sql<number>`count(*)::int`.as('samples'),
      sql<number>`(avg(CASE WHEN state = 'streaming' THEN 1 ELSE 0 END))::float8`.as('streaming_share'),
      sql<number | null>`(percentile_cont(0.99) WITHIN GROUP (ORDER BY replay_lag_ms))::float8`.as('replay_lag_p99_ms'),
      sql<number | null>`(max(lag_bytes))::float8`.as('lag_bytes_max'),
    ])
    .where('at', '>=', since)
    .groupBy('standby')
    .orderBy('standby')
    .execute();
  return rows.map((row) => ({
    standby: row.standby,
    samples: row.samples,
    streamingShare: row.streaming_share,
    replayLagP99Ms: row.replay_lag_p99_ms,
    lagBytesMax: row.lag_bytes_max,
  }));
}

/** Replication as a primary sees it now, into the platform database for the status page; old samples pruned when `prune`. */
export async function sampleReplication(
  platform: { readonly database: DatabaseHandle; readonly db: Kysely<PlatformTables> },
  node: string,
  prune: boolean,
): Promise<void> {
  const state = await withServer(platform.database, readReplicationState);
  const now = new Date();
  await recordSamples(platform.db, samplesOf(state, node, now));
  if (prune) await pruneSamples(platform.db, now);
}
