import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Json, Timestamp } from '../../platform/db/schema.js';
import type { PlatformTables } from '../../platform/db/schema.js';

/** The tables of the replication module's platform migrations (migrations/platform). */
export type ReplicationTables = {
  replication_samples: ReplicationSamplesTable;
  drill_writes: DrillWritesTable;
  failover_drills: FailoverDrillsTable;
};

export interface ReplicationSamplesTable {
  id: Generated<string>;
  at: Timestamp;
  node: string;
  standby: string;
  state: string;
  sync_state: string | null;
  lag_bytes: ColumnType<string | null, number | null, number | null>;
  replay_lag_ms: number | null;
  slot_retained_bytes: ColumnType<string | null, number | null, number | null>;
  slot_lost: boolean;
}

export interface DrillWritesTable {
  tenant_id: string;
  sequence: ColumnType<number, number, never>;
  written_at: Generated<Date>;
}

export interface FailoverDrillsTable {
  id: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp;
  mode: string;
  passed: boolean;
  trials: number;
  acknowledged_writes: number;
  lost_writes: number;
  rpo_p99_ms: number | null;
  rto_p99_s: number | null;
  rto_max_s: number | null;
  detail: Json;
  problems: ColumnType<string[], string, string>;
}

/** The platform database as this module sees it: the platform's tables and its own. */
export const replicationDb = (db: Kysely<PlatformTables>): Kysely<PlatformTables & ReplicationTables> =>
  db.withTables<ReplicationTables>();
