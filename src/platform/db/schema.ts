import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/**
 * Hand-kept table types of the platform's own migrations, one interface per table. The platform
 * database is the control plane; every tenant database has the tenant set. A module keeps the
 * types of the tables its own migrations make beside them (<m>.tables.ts) and reaches them with
 * `db.withTables<ItsTables>()`.
 */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Json = JSONColumnType<
  Record<string, unknown>,
  Record<string, unknown> | undefined,
  Record<string, unknown>
>;
export type NullableJson = ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;

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

/** Request counts per client and window (UNLOGGED: see its migration). */
export interface RateLimitsTable {
  key: string;
  hits: number;
  resets_at: Timestamp;
}

export type MailStatus = 'kept' | 'queued' | 'sent' | 'failed';

/** Messages kept before they are sent (see its migration). */
export interface MailOutboxTable {
  id: Generated<string>;
  /** int8, read as a number: the order messages were written in. */
  seq: ColumnType<number, never, never>;
  created_at: Timestamp;
  tenant_slug: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body: string | null;
  status: MailStatus;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  sent_at: NullableTimestamp;
  /** Extra headers (List-Unsubscribe); null for none. */
  headers: ColumnType<Record<string, string> | null, Record<string, string> | null | undefined, never>;
}

export interface PlatformTables {
  tenants: TenantsTable;
  mail_outbox: MailOutboxTable;
  rate_limits: RateLimitsTable;
  platform_audit: PlatformAuditTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
}

export interface TenantSettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
}

export interface TenantTables {
  settings: TenantSettingsTable;
}
