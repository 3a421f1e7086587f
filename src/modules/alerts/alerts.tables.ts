import type { ColumnType, Generated, Kysely } from 'kysely';
import type { PlatformTables, Timestamp } from '../../platform/db/schema.js';

/** The tables of the alerts module's platform migrations (migrations/platform). */
export type AlertTables = {
  alert_rules: AlertRulesTable;
  alert_channels: AlertChannelsTable;
  alert_tracks: AlertTracksTable;
  alert_notices: AlertNoticesTable;
};

/** The platform database as the alerts module sees it. */
export type AlertsDb = Kysely<PlatformTables & AlertTables>;

export interface AlertRulesTable {
  id: string;
  name: string;
  /** `state`: a component in partial or major outage; `figure`: a probe's figure past a threshold. */
  kind: 'state' | 'figure';
  figure: string | null;
  op: '>' | '<' | null;
  threshold: number | null;
  for_checks: number;
  enabled: boolean;
  position: number;
}

/** Identity columns are bigint, which the pool reads as numbers (platform/db/connect.ts). */
export interface AlertChannelsTable {
  id: Generated<number>;
  name: string;
  kind: 'email' | 'webhook';
  /** An email address, or a webhook's URL. */
  target: string;
  /** A webhook's signing secret, sealed with the platform's secret key. */
  secret_sealed: string | null;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Generated<Date>;
}

export interface AlertTracksTable {
  rule_id: string;
  subject: string;
  firing: boolean;
  bad: number;
  good: number;
  changes: Date[];
  flapping: boolean;
  since: Timestamp;
  message: string;
  value: number | null;
}

export interface AlertNoticesTable {
  id: Generated<number>;
  rule_id: string;
  subject: string;
  kind: 'firing' | 'recovered' | 'flapping' | 'settled';
  message: string;
  at: Timestamp;
}
