import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { TenantTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import { appendAudit, verifyAuditChain, type AuditEntry, type AuditEvent, type ChainBreak } from './identity.audit.js';
import { readAudit, type AuditFilter } from './identity.audit-read.js';
import { changeRole, listMembers, removeMember, type MemberView } from './identity.members.js';
import type { UserActor } from './identity.policy.js';
import { assertStrongPassword, checkPassword, decoyHash, hashPassword } from './identity.passwords.js';
import { SessionStore, type SessionHolder, type SessionLimits, type SessionView } from './identity.sessions.js';
import type { IdentityDatabase, IdentityTables, Role, TokenScope } from './identity.tables.js';
import { TokenStore, type TokenHolder, type TokenView } from './identity.tokens-store.js';

/** Runs work against an active workspace's database, as the workspace's own role (TenancyService.withDatabase). */
export type TenantDatabases = <R>(slug: string, work: (db: Kysely<TenantTables>) => Promise<R>) => Promise<R>;

export interface IdentityServiceDeps {
  readonly databases: TenantDatabases;
  readonly clock: Clock;
  readonly sessions: SessionLimits;
}

export interface Client {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

/** Failures before the back-off starts, and its ceiling. */
const freeFailures = 3;
const maxLockSeconds = 15 * 60;

/** Seconds an address is locked after its `failures`-th failure in a row: 2, 4, 8 … up to 15 minutes. */
export function lockSeconds(failures: number): number {
  return failures <= freeFailures ? 0 : Math.min(2 ** (failures - freeFailures), maxLockSeconds);
}

const normalEmail = (email: string): string => email.trim().toLowerCase();

/** A workspace's people: accounts, password sign-in with back-off, sessions, all audited. */
export class IdentityService {
  constructor(private readonly deps: IdentityServiceDeps) {}

  private use<R>(tenant: string, work: (db: Kysely<IdentityDatabase>) => Promise<R>): Promise<R> {
    return this.deps.databases(tenant, (db) => work(db.withTables<IdentityTables>()));
  }

  private sessionsOf(db: Kysely<IdentityDatabase>): SessionStore {
    return new SessionStore(db, this.deps.clock, this.deps.sessions);
  }

  /** Makes an account; a password, when given, must be strong. Audited as done by `actor`. */
  async createUser(
    tenant: string,
    input: { email: string; name: string; role: Role; password?: string | undefined },
    audit: Omit<AuditEvent, 'action' | 'target'>,
  ): Promise<UserView> {
    const email = normalEmail(input.email);
    if (input.password !== undefined) assertStrongPassword(input.password, [email, input.name]);
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const now = this.deps.clock.now();
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const taken = await tx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
        if (taken) throw appError('VALIDATION_FAILED', `There is already an account for ${email} in this workspace.`);
        const row = await tx
          .insertInto('users')
          .values({
            email,
            name: input.name,
            role: input.role,
            password_hash: passwordHash,
            password_changed_at: passwordHash ? now : null,
            created_at: now,
          })
          .returning(['id', 'email', 'name', 'role', 'created_at'])
          .executeTakeFirstOrThrow();
        await appendAudit(tx, { ...audit, action: 'user.created', target: email, detail: { role: input.role } }, now);
        return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at };
      }),
    );
  }

  /**
   * Signs in with an address and a password. Every failure says the same thing and takes as long
   * whether or not the address has an account; after three in a row the address waits 2, 4, 8 …
   * seconds (up to 15 minutes) before the next try, and a success clears the count.
   */
  async signIn(
    tenant: string,
    input: { email: string; password: string },
    client: Client,
  ): Promise<{ token: string; holder: SessionHolder }> {
    const email = normalEmail(input.email);
    const now = this.deps.clock.now();
    return this.use(tenant, async (db) => {
      const failures = await db
        .selectFrom('sign_in_failures')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirst();
      if (failures?.locked_until && failures.locked_until > now) {
        const seconds = Math.ceil((failures.locked_until.getTime() - now.getTime()) / 1000);
        throw appError('TOO_MANY_ATTEMPTS', `Too many failed sign-ins for this address. Try again in ${seconds} s.`, {
          extensions: { retryAfterSeconds: seconds },
        });
      }
      const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      const { ok, rehash } = await checkPassword(user?.password_hash ?? (await decoyHash()), input.password);
      if (!user || !ok || user.disabled_at || !user.password_hash) {
        await this.recordFailure(db, email, now, client);
        throw appError('SIGN_IN_FAILED', 'The email address or the password is wrong.');
      }
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('sign_in_failures').where('email', '=', email).execute();
        if (rehash)
          await tx
            .updateTable('users')
            .set({ password_hash: await hashPassword(input.password) })
            .where('id', '=', user.id)
            .execute();
        const session = await this.sessionsOf(tx).start(user.id, client);
        await appendAudit(
          tx,
          {
            actor: `user:${email}`,
            action: 'session.signed_in',
            target: email,
            ip: client.ip,
            detail: { method: 'password' },
          },
          now,
        );
        return { token: session.token, holder: { sessionId: session.id, userId: user.id, email, role: user.role } };
      });
    });
  }

  private async recordFailure(db: Kysely<IdentityDatabase>, email: string, now: Date, client: Client): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('sign_in_failures')
        .values({ email, failures: 1, last_failed_at: now })
        .onConflict((conflict) =>
          conflict
            .column('email')
            .doUpdateSet((eb) => ({ failures: eb('sign_in_failures.failures', '+', 1), last_failed_at: now })),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      const seconds = lockSeconds(row.failures);
      if (seconds > 0)
        await tx
          .updateTable('sign_in_failures')
          .set({ locked_until: new Date(now.getTime() + seconds * 1000) })
          .where('email', '=', email)
          .execute();
      await appendAudit(
        tx,
        {
          actor: 'anonymous',
          action: 'session.sign_in_failed',
          target: email,
          ip: client.ip,
          detail: { failures: row.failures },
        },
        now,
      );
    });
  }

  /** The holder of a session token, or undefined. */
  holder(tenant: string, token: string): Promise<SessionHolder | undefined> {
    return this.use(tenant, (db) => this.sessionsOf(db).holder(token));
  }

  async signOut(tenant: string, holder: SessionHolder, client: Client): Promise<void> {
    await this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        await this.sessionsOf(tx).revoke(holder.userId, holder.sessionId);
        await appendAudit(
          tx,
          { actor: `user:${holder.email}`, action: 'session.signed_out', target: holder.email, ip: client.ip },
          this.deps.clock.now(),
        );
      }),
    );
  }

  sessions(tenant: string, userId: string): Promise<SessionView[]> {
    return this.use(tenant, (db) => this.sessionsOf(db).list(userId));
  }

  /** Ends one of the person's own sessions; false when they have no such live session. */
  async revokeSession(
    tenant: string,
    actor: { userId: string; name: string },
    sessionId: string,
    client: Client,
  ): Promise<boolean> {
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const ended = await this.sessionsOf(tx).revoke(actor.userId, sessionId);
        if (ended)
          await appendAudit(
            tx,
            {
              actor: `user:${actor.name}`,
              action: 'session.revoked',
              target: actor.name,
              ip: client.ip,
              detail: { sessionId },
            },
            this.deps.clock.now(),
          );
        return ended;
      }),
    );
  }

  tokens(tenant: string, userId: string): Promise<TokenView[]> {
    return this.use(tenant, (db) => new TokenStore(db, this.deps.clock).list(userId));
  }

  /** Makes a personal API token; its secret is returned this once. Audited. */
  async createToken(
    tenant: string,
    actor: { userId: string; name: string },
    input: { name: string; scope: TokenScope; expiresInDays: number },
    client: Client,
  ): Promise<{ token: string; view: TokenView }> {
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const made = await new TokenStore(tx, this.deps.clock).create(actor.userId, input);
        await appendAudit(
          tx,
          {
            actor: `user:${actor.name}`,
            action: 'token.created',
            target: actor.name,
            ip: client.ip,
            detail: {
              tokenId: made.view.id,
              name: input.name,
              scope: input.scope,
              expiresAt: made.view.expiresAt.toISOString(),
            },
          },
          this.deps.clock.now(),
        );
        return made;
      }),
    );
  }

  /** Revokes one of the person's tokens; false when they have no such live token. Audited. */
  async revokeToken(
    tenant: string,
    actor: { userId: string; name: string },
    tokenId: string,
    client: Client,
  ): Promise<boolean> {
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const name = await new TokenStore(tx, this.deps.clock).revoke(actor.userId, tokenId);
        if (name === undefined) return false;
        await appendAudit(
          tx,
          {
            actor: `user:${actor.name}`,
            action: 'token.revoked',
            target: actor.name,
            ip: client.ip,
            detail: { tokenId, name },
          },
          this.deps.clock.now(),
        );
        return true;
      }),
    );
  }

  /** The holder of an API token, or undefined; its first use in an hour is audited. */
  async tokenHolder(tenant: string, token: string, ip: string): Promise<TokenHolder | undefined> {
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const holder = await new TokenStore(tx, this.deps.clock).holder(token);
        if (holder?.firstUseInHour)
          await appendAudit(
            tx,
            {
              actor: `user:${holder.email}`,
              action: 'token.used',
              target: holder.email,
              ip,
              detail: { tokenId: holder.tokenId, scope: holder.scope },
            },
            this.deps.clock.now(),
          );
        return holder;
      }),
    );
  }

  members(tenant: string): Promise<MemberView[]> {
    return this.use(tenant, listMembers);
  }

  changeRole(tenant: string, actor: UserActor, memberId: string, role: Role, client: Client): Promise<MemberView> {
    return this.use(tenant, (db) =>
      changeRole(db, actor, memberId, role, { ip: client.ip, at: this.deps.clock.now() }),
    );
  }

  removeMember(tenant: string, actor: UserActor, memberId: string, client: Client): Promise<void> {
    return this.use(tenant, (db) => removeMember(db, actor, memberId, { ip: client.ip, at: this.deps.clock.now() }));
  }

  auditEntries(tenant: string, filter: AuditFilter): Promise<AuditEntry[]> {
    return this.use(tenant, (db) => readAudit(db, filter));
  }

  /** Recomputes the audit log's hash chain (`steadfast audit verify`). */
  verifyAudit(tenant: string): Promise<{ entries: number; broken?: ChainBreak }> {
    return this.use(tenant, verifyAuditChain);
  }

  async user(tenant: string, userId: string): Promise<UserView | undefined> {
    const row = await this.use(tenant, (db) =>
      db.selectFrom('users').selectAll().where('id', '=', userId).where('disabled_at', 'is', null).executeTakeFirst(),
    );
    return row && { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at };
  }
}
