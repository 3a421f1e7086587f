import type { ColumnType, Generated, Kysely } from 'kysely';
import { appendPlatformAudit, type PlatformAuditEntry } from '../../platform/db/platform-audit.js';
import { appError } from '../../platform/errors.js';
import type { NullableTimestamp, PlatformTables, Timestamp } from '../../platform/db/schema.js';
import type { ComponentState } from '../../platform/probes.js';

/** The tables of the status module's platform migrations (migrations/platform). */
export type StatusTables = {
  status_components: StatusComponentsTable;
  status_locations: StatusLocationsTable;
  status_readings: StatusReadingsTable;
  status_days: StatusDaysTable;
  status_incidents: StatusIncidentsTable;
  status_incident_updates: StatusIncidentUpdatesTable;
  status_maintenance: StatusMaintenanceTable;
  status_sla_reports: StatusSlaReportsTable;
  status_subscribers: StatusSubscribersTable;
  status_notices: StatusNoticesTable;
};

/** The platform database as the status module sees it: its own tables beside the platform's (the audit log). */
export type StatusDb = Kysely<PlatformTables & StatusTables>;

/** A row's id as the API gives it, as the table's key; a malformed one is as unknown as a missing one. */
export function rowId(id: string, what: string): number {
  if (!/^\d{1,15}$/.test(id)) throw appError('NOT_FOUND', `There is no ${what} ${id}.`);
  return Number(id);
}

/** The same connection or transaction, for the platform's own code (the audit log, the mail outbox). */
export const platformView = (db: StatusDb): Kysely<PlatformTables> => db as unknown as Kysely<PlatformTables>;

/** Writes a staff action on monitoring to the platform audit log, in the transaction of the change. */
export function audit(db: StatusDb, entry: PlatformAuditEntry): Promise<void> {
  return appendPlatformAudit(platformView(db), entry);
}

export type CheckKind = 'http' | 'tcp' | 'tls';

/** What an operator's check reaches: `url` (http), `host` and `port` (tcp, tls), and what it expects. */
export interface CheckTarget {
  readonly url?: string;
  readonly expectStatus?: number;
  readonly keyword?: string;
  readonly host?: string;
  readonly port?: number;
  /** tls: a certificate expiring within this many days is degraded (default 14). */
  readonly warnDays?: number;
  /** http: read a server whose certificate is not trusted here (the platform's own, probed for liveness). */
  readonly insecure?: boolean;
}

export interface StatusComponentsTable {
  id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  kind: 'builtin' | CheckKind;
  target: ColumnType<CheckTarget, CheckTarget | undefined, CheckTarget>;
  public: ColumnType<boolean, boolean | undefined, boolean>;
  position: ColumnType<number, number | undefined, number>;
  created_at: Generated<Date>;
  removed_at: NullableTimestamp;
}

export interface StatusLocationsTable {
  name: string;
  token_hash: Buffer | null;
  created_at: Generated<Date>;
  last_report_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface StatusReadingsTable {
  component_id: string;
  minute: Timestamp;
  location: string;
  state: ComponentState;
  response_ms: number | null;
  checks: ColumnType<number, number | undefined, number>;
  message: string;
  figures: ColumnType<Record<string, number>, Record<string, number> | undefined, Record<string, number>>;
  checked_at: Timestamp;
}

export interface StatusDaysTable {
  component_id: string;
  day: ColumnType<string, string, string>;
  operational: number;
  degraded: number;
  partial_outage: number;
  major_outage: number;
  maintenance: number;
  short_notice_maintenance: number;
  no_data: number;
  response_ms: number | null;
}

export type IncidentState = 'investigating' | 'identified' | 'monitoring' | 'resolved';

/** Identity columns are bigint, which the pool reads as numbers (platform/db/connect.ts); the API writes them as strings. */
export interface StatusIncidentsTable {
  id: Generated<number>;
  title: string;
  state: IncidentState;
  draft: ColumnType<boolean, boolean | undefined, boolean>;
  /** Component id -> the state the incident declares it in. */
  components: Record<string, ComponentState>;
  tenants: string[] | null;
  opened_by: string;
  started_at: Timestamp;
  resolved_at: NullableTimestamp;
  created_at: Generated<Date>;
  alert_key: string | null;
}

export interface StatusIncidentUpdatesTable {
  id: Generated<number>;
  incident_id: number;
  state: IncidentState;
  message: string;
  author: string;
  at: Timestamp;
}

export interface StatusMaintenanceTable {
  id: Generated<number>;
  title: string;
  description: ColumnType<string, string | undefined, string>;
  components: string[];
  tenants: string[] | null;
  starts_at: Timestamp;
  ends_at: Timestamp;
  announced_at: Timestamp;
  short_notice: boolean;
  reason: string | null;
  scheduled_by: string;
  cancelled_at: NullableTimestamp;
}

/** A workspace's report of a month as issued (status.reports.ts `SlaReport`). */
export interface StatusSlaReportsTable {
  month: string;
  tenant_slug: string;
  report: ColumnType<unknown, string, string>;
  issued_at: Timestamp;
}

/** An address subscribed to the status page: confirmed once its link was opened, until unsubscribed. */
export interface StatusSubscribersTable {
  id: Generated<number>;
  email: string;
  created_at: Timestamp;
  confirm_sent_at: Timestamp;
  confirmed_at: NullableTimestamp;
  unsubscribed_at: NullableTimestamp;
}

/** What subscribers are to be told (an incident's update, maintenance announced), until sent. */
export interface StatusNoticesTable {
  id: Generated<number>;
  subject: string;
  body: string;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
  recipients: number | null;
}
