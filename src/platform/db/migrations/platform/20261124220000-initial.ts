import { sql, type Kysely } from 'kysely';

/** The control plane: the tenant registry, the platform audit log and the job queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE tenants (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL UNIQUE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      region text NOT NULL,
      status text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting')),
      database_name text NOT NULL UNIQUE,
      role_name text NOT NULL UNIQUE,
      schema_version text,
      status_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE platform_audit (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      action text NOT NULL,
      tenant_slug text,
      detail jsonb NOT NULL DEFAULT '{}'
    )`.execute(db);
  await sql`CREATE INDEX platform_audit_tenant_at ON platform_audit (tenant_slug, at)`.execute(db);

  await sql`
    CREATE TABLE jobs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      type text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
      priority integer NOT NULL DEFAULT 100,
      run_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL CHECK (max_attempts > 0),
      timeout_seconds integer NOT NULL CHECK (timeout_seconds > 0),
      backoff_seconds integer NOT NULL CHECK (backoff_seconds >= 0),
      dedupe_key text UNIQUE,
      locked_by text,
      locked_until timestamptz,
      last_error text,
      result jsonb,
      progress jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX jobs_due ON jobs (priority, run_at) WHERE status = 'queued'`.execute(db);
  await sql`CREATE INDEX jobs_expired ON jobs (locked_until) WHERE status = 'running'`.execute(db);
  await sql`CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed')`.execute(db);

  await sql`
    CREATE TABLE job_schedules (
      name text PRIMARY KEY,
      last_fired_at timestamptz NOT NULL
    )`.execute(db);
}
