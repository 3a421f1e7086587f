import { sql, type Kysely } from 'kysely';

/**
 * A workspace's people: accounts with a role, failed sign-ins, sessions, API tokens, and the
 * audit log. The log is append-only in the database itself (a trigger refuses UPDATE, DELETE
 * and TRUNCATE), and each entry carries a hash chained to the one before it, so an entry altered
 * or removed behind the database's back is found by `steadfast audit verify`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
      password_hash text,
      password_changed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX users_email ON users (email)`.execute(db);

  // Failed sign-ins by address, whether or not an account has it, so the back-off tells nothing.
  await sql`
    CREATE TABLE sign_in_failures (
      email text PRIMARY KEY,
      failures integer NOT NULL,
      last_failed_at timestamptz NOT NULL,
      locked_until timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash bytea NOT NULL UNIQUE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ip inet,
      user_agent text,
      revoked_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL`.execute(db);

  // Personal API tokens: a `read` token reads, a `read-write` one acts with its owner's role.
  await sql`
    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash bytea NOT NULL UNIQUE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      scope text NOT NULL CHECK (scope IN ('read', 'read-write')),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX api_tokens_user ON api_tokens (user_id)`.execute(db);

  await sql`
    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,99}$'),
      target text,
      ip text, -- as written: the chain hashes it, and inet would rewrite some addresses
      detail jsonb NOT NULL DEFAULT '{}',
      prev_hash bytea NOT NULL,
      hash bytea NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX audit_log_at ON audit_log (at)`.execute(db);
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
}
