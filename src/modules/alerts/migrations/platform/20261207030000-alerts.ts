import { sql, type Kysely } from 'kysely';

/**
 * Alerting: rules (with the defaults every platform starts with), the channels alerts go to,
 * and each rule's track of each subject (so a new leader goes on counting where the last left).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE alert_rules (
      id text PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('state', 'figure')),
      figure text,
      op text CHECK (op IN ('>', '<')),
      threshold double precision,
      for_checks integer NOT NULL CHECK (for_checks BETWEEN 1 AND 100),
      enabled boolean NOT NULL DEFAULT true,
      position integer NOT NULL
    )`.execute(db);
  await sql`
    INSERT INTO alert_rules (id, name, kind, figure, op, threshold, for_checks, position) VALUES
      ('component_down', 'A component is down', 'state', NULL, NULL, NULL, 2, 1),
      ('replication_lag', 'Replication lag over 10 s', 'figure', 'lag_seconds', '>', 10, 1, 2),
      ('archive_lag', 'WAL archiving lag over 60 s', 'figure', 'archive_lag_seconds', '>', 60, 1, 3),
      ('backup_stale', 'No good backup for 26 h', 'figure', 'last_backup_age_hours', '>', 26, 1, 4),
      ('drill_stale', 'No passed restore drill for 26 h', 'figure', 'drill_age_hours', '>', 26, 1, 5),
      ('drill_failed', 'The last restore drill failed', 'figure', 'drill_failed', '>', 0, 1, 6),
      ('cert_expiry', 'A certificate expires within 14 days', 'figure', 'cert_days_left', '<', 14, 1, 7),
      ('disk_usage', 'Disk over 85 % used', 'figure', 'disk_used_ratio', '>', 0.85, 1, 8)
  `.execute(db);
  await sql`
    CREATE TABLE alert_channels (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('email', 'webhook')),
      target text NOT NULL,
      secret_sealed text,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE alert_tracks (
      rule_id text NOT NULL REFERENCES alert_rules (id),
      subject text NOT NULL,
      firing boolean NOT NULL DEFAULT false,
      bad integer NOT NULL DEFAULT 0,
      good integer NOT NULL DEFAULT 0,
      changes timestamptz[] NOT NULL DEFAULT '{}',
      flapping boolean NOT NULL DEFAULT false,
      since timestamptz NOT NULL,
      message text NOT NULL DEFAULT '',
      value double precision,
      PRIMARY KEY (rule_id, subject)
    )`.execute(db);
  // What was sent, to which channel, and whether it arrived: the console's alert history.
  await sql`
    CREATE TABLE alert_notices (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      rule_id text NOT NULL,
      subject text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('firing', 'recovered', 'flapping', 'settled')),
      message text NOT NULL,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX alert_notices_at ON alert_notices (at)`.execute(db);
}
