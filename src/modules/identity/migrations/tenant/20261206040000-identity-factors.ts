import { sql, type Kysely } from 'kysely';

/**
 * How people join and prove who they are beyond a password: invitations and password resets
 * (single-use links, stored as hashes), TOTP (its secret sealed under the platform's key) with
 * recovery codes (keyed hashes), passkeys, and the short-lived challenges between a password and
 * a second factor or a passkey ceremony.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
      token_hash bytea NOT NULL UNIQUE,
      invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  // One open invitation per address: inviting again replaces it.
  await sql`
    CREATE UNIQUE INDEX invitations_open_email ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL`.execute(db);

  await sql`
    CREATE TABLE password_resets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash bytea NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`.execute(db);

  await sql`
    ALTER TABLE users
      ADD COLUMN totp_secret text,
      ADD COLUMN totp_enabled_at timestamptz,
      ADD COLUMN totp_last_step bigint`.execute(db);

  await sql`
    CREATE TABLE recovery_codes (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash bytea NOT NULL,
      used_at timestamptz,
      PRIMARY KEY (user_id, code_hash)
    )`.execute(db);

  await sql`
    CREATE TABLE passkeys (
      id text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      public_key bytea NOT NULL,
      counter bigint NOT NULL,
      transports text[] NOT NULL DEFAULT '{}',
      backed_up boolean NOT NULL,
      created_at timestamptz NOT NULL,
      last_used_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX passkeys_user ON passkeys (user_id)`.execute(db);

  // Between steps of a sign-in or a ceremony: after the password, before the second factor; a
  // WebAuthn challenge. Short-lived, few attempts, single use.
  await sql`
    CREATE TABLE challenges (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash bytea NOT NULL UNIQUE,
      purpose text NOT NULL CHECK (purpose IN ('second-factor', 'totp-setup', 'passkey-register', 'passkey-sign-in')),
      user_id uuid REFERENCES users (id) ON DELETE CASCADE,
      data jsonb NOT NULL DEFAULT '{}',
      attempts integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`.execute(db);
}
