import { sql, type Kysely } from 'kysely';

/**
 * Monitoring and the status page: components and their probe locations, what each location
 * measured per minute, daily figures, incidents and their updates, maintenance windows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Components the platform probes itself (ids from the modules) are written as they are first
  // seen; an operator's own checks (HTTP, TCP, TLS certificate) carry their target.
  await sql`
    CREATE TABLE status_components (
      id text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      kind text NOT NULL CHECK (kind IN ('builtin', 'http', 'tcp', 'tls')),
      target jsonb NOT NULL DEFAULT '{}',
      public boolean NOT NULL DEFAULT true,
      position integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      removed_at timestamptz
    )`.execute(db);
  // Where probes run: 'local' is the platform's own runner; others report with a token.
  await sql`
    CREATE TABLE status_locations (
      name text PRIMARY KEY,
      token_hash bytea UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_report_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  // Per component, minute and location: the worst state measured in the minute.
  await sql`
    CREATE TABLE status_readings (
      component_id text NOT NULL,
      minute timestamptz NOT NULL,
      location text NOT NULL,
      state text NOT NULL CHECK (state IN ('operational', 'degraded', 'partial_outage', 'major_outage')),
      response_ms double precision,
      checks integer NOT NULL DEFAULT 1,
      message text NOT NULL,
      figures jsonb NOT NULL DEFAULT '{}',
      checked_at timestamptz NOT NULL,
      PRIMARY KEY (component_id, minute, location)
    )`.execute(db);
  await sql`CREATE INDEX status_readings_minute ON status_readings (minute)`.execute(db);
  // Per component and UTC day: minutes by how they count (status.uptime.ts), kept 13 months.
  await sql`
    CREATE TABLE status_days (
      component_id text NOT NULL,
      day date NOT NULL,
      operational integer NOT NULL,
      degraded integer NOT NULL,
      partial_outage integer NOT NULL,
      major_outage integer NOT NULL,
      maintenance integer NOT NULL,
      short_notice_maintenance integer NOT NULL,
      no_data integer NOT NULL,
      response_ms double precision,
      PRIMARY KEY (component_id, day)
    )`.execute(db);
  await sql`
    CREATE TABLE status_incidents (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      title text NOT NULL,
      state text NOT NULL CHECK (state IN ('investigating', 'identified', 'monitoring', 'resolved')),
      draft boolean NOT NULL DEFAULT false,
      components jsonb NOT NULL DEFAULT '{}',
      tenants text[],
      opened_by text NOT NULL,
      started_at timestamptz NOT NULL,
      resolved_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      alert_key text
    )`.execute(db);
  await sql`CREATE INDEX status_incidents_started ON status_incidents (started_at)`.execute(db);
  await sql`
    CREATE TABLE status_incident_updates (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      incident_id bigint NOT NULL REFERENCES status_incidents (id),
      state text NOT NULL,
      message text NOT NULL,
      author text NOT NULL,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE status_maintenance (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      title text NOT NULL,
      description text NOT NULL DEFAULT '',
      components text[] NOT NULL,
      tenants text[],
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
      announced_at timestamptz NOT NULL,
      short_notice boolean NOT NULL,
      reason text,
      scheduled_by text NOT NULL,
      cancelled_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX status_maintenance_span ON status_maintenance (starts_at, ends_at)`.execute(db);
}
