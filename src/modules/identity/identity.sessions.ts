import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { IdentityDatabase, Role } from './identity.tables.js';
import { newSecret, secretHash } from './identity.tokens.js';
import { secondFactorMissing } from './identity.security.js';

export interface SessionLimits {
  readonly idleMinutes: number;
  readonly absoluteHours: number;
}

/** A live session and the person it belongs to. */
export interface SessionHolder {
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  /** The workspace requires a second factor and this person has none yet. */
  readonly secondFactorMissing?: boolean;
}

export interface SessionView {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** How often last_seen_at is written for a busy session: reads must not become writes. */
const touchEverySeconds = 60;

/**
 * Sessions of one workspace: opaque tokens stored as their hash, ended by sign-out, by revocation,
 * after `idleMinutes` unused, or `absoluteHours` after sign-in.
 */
export class SessionStore {
  constructor(
    private readonly db: Kysely<IdentityDatabase>,
    private readonly clock: Clock,
    private readonly limits: SessionLimits,
  ) {}

  /** Starts a session for `userId`; the token is returned once and never stored. */
  async start(
    userId: string,
    client: { ip?: string | undefined; userAgent?: string | undefined },
  ): Promise<{ token: string; id: string }> {
    const token = newSecret();
    const now = this.clock.now();
    const row = await this.db
      .insertInto('sessions')
      .values({
        token_hash: secretHash(token),
        user_id: userId,
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + this.limits.absoluteHours * 3_600_000),
        ip: client.ip ?? null,
        user_agent: client.userAgent?.slice(0, 500) ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { token, id: row.id };
  }

  /** The holder of a live session token, or undefined (unknown, revoked, idle too long, expired, or a disabled account). */
  async holder(token: string): Promise<SessionHolder | undefined> {
    const now = this.clock.now();
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.id', 'sessions.last_seen_at', 'users.id as userId', 'users.email', 'users.role'])
      .select(secondFactorMissing.as('secondFactorMissing'))
      .where('sessions.token_hash', '=', secretHash(token))
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', now)
      .where('sessions.last_seen_at', '>', new Date(now.getTime() - this.limits.idleMinutes * 60_000))
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    if (now.getTime() - row.last_seen_at.getTime() > touchEverySeconds * 1000)
      await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
    return {
      sessionId: row.id,
      userId: row.userId,
      email: row.email,
      role: row.role,
      secondFactorMissing: row.secondFactorMissing,
    };
  }

  /** One person's live sessions, most recent first. */
  async list(userId: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'created_at', 'last_seen_at', 'ip', 'user_agent'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', new Date(now.getTime() - this.limits.idleMinutes * 60_000))
      .orderBy('last_seen_at', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      ip: row.ip,
      userAgent: row.user_agent,
    }));
  }

  /** Ends one of a person's sessions; false when they have no such live session. */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: this.clock.now() })
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Ends every session of a person (a password reset, a removed member), but `except` if given. */
  async revokeAll(userId: string, except?: string): Promise<number> {
    let query = this.db
      .updateTable('sessions')
      .set({ revoked_at: this.clock.now() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (except) query = query.where('id', '<>', except);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

/** Ends every live session of a person at `at` (a removal, a reset, lost factors); returns how many. */
export async function endSessions(db: Kysely<IdentityDatabase>, userId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
