import type { ColumnType, Generated } from 'kysely';
import type { Json, NullableTimestamp, Timestamp, TenantTables } from '../../platform/db/schema.js';

/** Types of the tables identity's tenant migrations make; reached with `db.withTables<IdentityTables>()`. */
export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: Role;
  password_hash: string | null;
  password_changed_at: NullableTimestamp;
  created_at: Timestamp;
  disabled_at: NullableTimestamp;
  /** The TOTP seed, sealed under the platform's key (platform/crypto/fields.ts); set while being set up too. */
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  totp_enabled_at: NullableTimestamp;
  /** The last time step a TOTP code was accepted at: a code is good once. */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SignInFailuresTable {
  email: string;
  failures: number;
  last_failed_at: Timestamp;
  locked_until: NullableTimestamp;
}

export interface SessionsTable {
  id: Generated<string>;
  token_hash: Buffer;
  user_id: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  revoked_at: NullableTimestamp;
}

export type TokenScope = 'read' | 'read-write';

export interface ApiTokensTable {
  id: Generated<string>;
  token_hash: Buffer;
  user_id: string;
  name: string;
  scope: TokenScope;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AuditLogTable {
  /** int8, read as a number (platform/db/connect.ts parses int8 so). */
  id: ColumnType<number, never, never>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Json;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface InvitationsTable {
  id: Generated<string>;
  email: string;
  role: Role;
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface PasswordResetsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: Buffer;
  used_at: NullableTimestamp;
}

export interface PasskeysTable {
  /** The credential id, base64url. */
  id: string;
  user_id: string;
  name: string;
  public_key: Buffer;
  counter: ColumnType<number, number, number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  backed_up: boolean;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
}

export type ChallengePurpose = 'second-factor' | 'totp-setup' | 'passkey-register' | 'passkey-sign-in';

export interface ChallengesTable {
  id: Generated<string>;
  token_hash: Buffer;
  purpose: ChallengePurpose;
  user_id: string | null;
  data: Json;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

// A type, not an interface: Kysely's withTables wants a record type.
export type IdentityTables = {
  users: UsersTable;
  sign_in_failures: SignInFailuresTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  challenges: ChallengesTable;
};

/** A workspace's database as identity sees it: the tenant set's tables and its own. */
export type IdentityDatabase = TenantTables & IdentityTables;
