import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/**
 * Hand-kept table types, one interface per table, matching the migrations. The platform
 * database is the control plane; every tenant database has the tenant set.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = JSONColumnType<Record<string, unknown>, Record<string, unknown> | undefined, Record<string, unknown>>;
type NullableJson = ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;

export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'deleting';

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  region: string;
  status: TenantStatus;
  database_name: string;
  role_name: string;
  /** Name of the last tenant migration applied to its database; null until the first one. */
  schema_version: string | null;
  status_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PlatformAuditTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  tenant_slug: string | null;
  detail: Json;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobsTable {
  id: Generated<string>;
  type: string;
  payload: Json;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  priority: ColumnType<number, number | undefined, number>;
  run_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  timeout_seconds: number;
  backoff_seconds: number;
  dedupe_key: string | null;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  last_error: string | null;
  result: NullableJson;
  progress: NullableJson;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface JobSchedulesTable {
  name: string;
  last_fired_at: Timestamp;
}

export interface BackupDrillsTable {
  id: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp;
  passed: boolean;
  backup_id: string | null;
  repository: string | null;
  restore_point: string | null;
  target_lsn: string | null;
  restored_bytes: ColumnType<string, number, number>;
  duration_seconds: number;
  restore_mb_s: number | null;
  rpo_seconds: number | null;
  compared: number;
  changed: ColumnType<string[], string, string>;
  amcheck: ColumnType<{ databases: number; indexes: number; tables: number }, string, string>;
  problems: ColumnType<string[], string, string>;
}

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

export interface PlatformTables {
  tenants: TenantsTable;
  platform_audit: PlatformAuditTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
  backup_drills: BackupDrillsTable;
  replication_samples: ReplicationSamplesTable;
  drill_writes: DrillWritesTable;
  failover_drills: FailoverDrillsTable;
}

export interface TenantSettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
}

export interface TenantTables {
  settings: TenantSettingsTable;
}
