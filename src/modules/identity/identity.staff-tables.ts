import type { ColumnType, Generated, Kysely } from 'kysely';
import type { NullableTimestamp, PlatformTables, Timestamp } from '../../platform/db/schema.js';

/** Types of the tables identity's platform migration makes (staff and support access), in the platform database. */
export interface StaffTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  /** The authenticator app's seed, sealed under the platform's key; confirmed once the setup sets the password. */
  totp_secret: string | null;
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  setup_token_hash: Buffer | null;
  setup_expires_at: NullableTimestamp;
  failed_sign_ins: ColumnType<number, number | undefined, number>;
  locked_until: NullableTimestamp;
  created_at: Timestamp;
  disabled_at: NullableTimestamp;
}

export interface StaffSessionsTable {
  id: Generated<string>;
  staff_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  ended_at: NullableTimestamp;
}

export type GrantStatus = 'pending' | 'active' | 'denied' | 'ended';

export interface SupportGrantsTable {
  id: Generated<string>;
  tenant_slug: string;
  staff_id: string;
  reason: string;
  minutes: number;
  status: GrantStatus;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  ended_by: string | null;
  ended_at: NullableTimestamp;
}

export interface SupportSessionsTable {
  id: Generated<string>;
  grant_id: string;
  entry_hash: Buffer | null;
  entry_expires_at: Timestamp;
  token_hash: Buffer | null;
  created_at: Timestamp;
  ip: string | null;
  ended_at: NullableTimestamp;
}

/** Reached with `db.withTables<StaffTables>()` on the platform database. */
export type StaffTables = {
  staff: StaffTable;
  staff_sessions: StaffSessionsTable;
  support_grants: SupportGrantsTable;
  support_sessions: SupportSessionsTable;
};

export type StaffDatabase = Kysely<PlatformTables & StaffTables>;
