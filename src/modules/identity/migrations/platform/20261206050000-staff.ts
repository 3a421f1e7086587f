import { sql, type Kysely } from 'kysely';

/**
 * The platform's own people and their way into a workspace. Staff accounts (password and a
 * mandatory authenticator app, made by `steadfast staff create` with a one-time setup link) and
 * their console sessions; support grants (a reason, an expiry, a workspace admin's approval when
 * the workspace asks for it), the one-time links that turn a grant into a session on the
 * workspace's host, and those support sessions. Secrets are kept as SHA-256 hashes, the
 * authenticator seed sealed under the platform's key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE staff (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE,
      name text NOT NULL,
      password_hash text,
      totp_secret text,           -- sealed; confirmed once password_hash is set by the setup
      totp_last_step bigint,
      setup_token_hash bytea UNIQUE,
      setup_expires_at timestamptz,
      failed_sign_ins integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      created_at timestamptz NOT NULL,
      disabled_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE staff_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      staff_id uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
      token_hash bytea NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      ip text,
      user_agent text,
      ended_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id)`.execute(db);
  await sql`
    CREATE TABLE support_grants (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_slug text NOT NULL,
      staff_id uuid NOT NULL REFERENCES staff (id),
      reason text NOT NULL,
      minutes integer NOT NULL CHECK (minutes > 0),
      status text NOT NULL CHECK (status IN ('pending', 'active', 'denied', 'ended')),
      created_at timestamptz NOT NULL,
      -- pending: when the request lapses undecided; active: when the access ends
      expires_at timestamptz NOT NULL,
      decided_by text,
      decided_at timestamptz,
      ended_by text,
      ended_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX support_grants_tenant ON support_grants (tenant_slug, created_at DESC)`.execute(db);
  await sql`
    CREATE TABLE support_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      grant_id uuid NOT NULL REFERENCES support_grants (id) ON DELETE CASCADE,
      -- the one-time entry link's hash until it is used, then the session token's
      entry_hash bytea UNIQUE,
      entry_expires_at timestamptz NOT NULL,
      token_hash bytea UNIQUE,
      created_at timestamptz NOT NULL,
      ip text,
      ended_at timestamptz
    )`.execute(db);
}
