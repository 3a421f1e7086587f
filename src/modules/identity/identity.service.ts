import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import { appendAudit, verifyAuditChain, type AuditEntry, type AuditEvent, type ChainBreak } from './identity.audit.js';
import { readAudit, type AuditFilter } from './identity.audit-read.js';
import {
  changeRole,
  insertUser,
  listMembers,
  removeMember,
  resetSecondFactors,
  type MemberView,
} from './identity.members.js';
import type { UserActor } from './identity.policy.js';
import { assertStrongPassword, hashPassword } from './identity.passwords.js';
import {
  acceptInvitation,
  invitationDays,
  invite,
  listInvitations,
  openInvitation,
  revokeInvitation,
  type InvitationView,
} from './identity.invitations.js';
import { finishReset, resetMinutes, startReset } from './identity.resets.js';
import {
  readAllowList,
  readSecuritySettings,
  writeSecuritySettings,
  type SecuritySettings,
} from './identity.security.js';
import { AllowList, AllowListCache, normalEntry } from './identity.allow-list.js';
import { HolderCache } from './identity.holder-cache.js';
import { AccountService } from './identity.account-service.js';
import type { TenantDatabases, Workspace } from './identity.ports.js';
import { signInOptions, type RelyingParty } from './identity.passkeys.js';
import { findChallenge } from './identity.challenges.js';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { secretHash } from './identity.tokens.js';
import {
  passkeySignIn,
  passwordSignIn,
  secondFactorSignIn,
  startSession,
  type Client,
  type SignedIn,
  type SignInOutcome,
} from './identity.sign-in.js';
import type { Mail } from '../../platform/mail/mail.js';
import { SessionStore, type SessionHolder, type SessionLimits } from './identity.sessions.js';
import type { IdentityDatabase, IdentityTables, Role } from './identity.tables.js';
import { TokenStore, type TokenHolder } from './identity.tokens-store.js';

export interface IdentityServiceDeps {
  readonly databases: TenantDatabases;
  readonly clock: Clock;
  readonly sessions: SessionLimits;
  /** The platform's secret key: TOTP seeds are sealed and recovery codes keyed under it. */
  readonly secretKey: string;
  readonly mail: Pick<Mail, 'send'>;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

const normalEmail = (email: string): string => email.trim().toLowerCase();

export type { Client, SignedIn, SignInOutcome };

/** A workspace's people: accounts, password sign-in with back-off, sessions, all audited. */
export class IdentityService {
  private readonly allowLists: AllowListCache;
  private readonly sessionHolders: HolderCache<SessionHolder>;
  private readonly tokenHolders: HolderCache<TokenHolder>;

  /** A person's own account: password, second factors, passkeys, sessions, API tokens. */
  readonly accounts: AccountService;

  constructor(private readonly deps: IdentityServiceDeps) {
    this.sessionHolders = new HolderCache(deps.clock);
    this.tokenHolders = new HolderCache(deps.clock);
    this.allowLists = new AllowListCache((tenant) => this.use(tenant, readAllowList), deps.clock);
    this.accounts = new AccountService({
      ...deps,
      forget: (tenant, userId) => this.forget(tenant, userId),
      requiresTwoFactor: async (tenant) => (await this.securitySettings(tenant)).requireTwoFactor,
    });
  }

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
        const user = await insertUser(tx, { email, name: input.name, role: input.role, passwordHash }, now, () =>
          appError('VALIDATION_FAILED', `There is already an account for ${email} in this workspace.`),
        );
        await appendAudit(tx, { ...audit, action: 'user.created', target: email, detail: { role: input.role } }, now);
        return user;
      }),
    );
  }

  /** Signs in with a password; an account with a second factor gets a challenge instead of a session. */
  signIn(tenant: string, input: { email: string; password: string }, client: Client): Promise<SignInOutcome> {
    return this.use(tenant, (db) =>
      passwordSignIn(db, this.deps, { email: normalEmail(input.email), password: input.password }, client),
    );
  }

  /** The second step of a sign-in: a TOTP or recovery code, or a passkey, with the password step's challenge. */
  signInSecondFactor(
    tenant: string,
    input: {
      challenge: string;
      code?: string | undefined;
      recoveryCode?: string | undefined;
      passkey?: { rp: RelyingParty; response: AuthenticationResponseJSON } | undefined;
    },
    client: Client,
  ): Promise<SignedIn> {
    return this.use(tenant, (db) => secondFactorSignIn(db, this.deps, input, client));
  }

  /**
   * Options to answer with a passkey: any of the workspace's for a sign-in without a password, or
   * the person's own for the second step after their password (`challenge` from that step).
   */
  passkeySignInOptions(
    tenant: string,
    rp: RelyingParty,
    challenge?: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const now = this.deps.clock.now();
    return this.use(tenant, async (db) => {
      if (challenge === undefined) return signInOptions(db, rp, now);
      const step = await findChallenge(db, challenge, 'second-factor', now);
      if (!step?.user_id)
        throw appError(
          'SECOND_FACTOR_FAILED',
          'This sign-in has expired or used all its tries. Sign in again with your password.',
        );
      return signInOptions(db, rp, now, step.user_id);
    });
  }

  signInWithPasskey(
    tenant: string,
    rp: RelyingParty,
    response: AuthenticationResponseJSON,
    client: Client,
  ): Promise<SignedIn> {
    return this.use(tenant, (db) => passkeySignIn(db, this.deps, { rp, response }, client));
  }

  /** The holder of a session token, or undefined. */
  holder(tenant: string, token: string): Promise<SessionHolder | undefined> {
    return this.sessionHolders.get(tenant, token, () => this.use(tenant, (db) => this.sessionsOf(db).holder(token)));
  }

  /** Forgets what this process remembers of a person's sessions and tokens (or a whole workspace's), after a change to them. */
  private forget(tenant: string, userId?: string): void {
    this.sessionHolders.forget(tenant, userId);
    this.tokenHolders.forget(tenant, userId);
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
    this.forget(tenant, holder.userId);
  }

  /** The holder of an API token, or undefined; its first use in an hour is audited. */
  tokenHolder(tenant: string, token: string, ip: string): Promise<TokenHolder | undefined> {
    return this.tokenHolders.get(tenant, token, () =>
      this.use(tenant, async (db) => {
        const store = new TokenStore(db, this.deps.clock);
        const holder = await store.holder(token);
        if (!holder?.firstUseInHour) return holder;
        await db.transaction().execute(async (tx) => {
          if (!(await new TokenStore(tx, this.deps.clock).recordUse(holder.tokenId))) return;
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
        });
        return holder;
      }),
    );
  }

  /** Invites an address to the workspace and mails it the link; the link itself is never shown to the admin. */
  async invite(
    tenant: string,
    actor: UserActor,
    input: { email: string; role: Role },
    client: Client,
    workspace: Workspace,
  ): Promise<InvitationView> {
    const email = normalEmail(input.email);
    const { token, view } = await this.use(tenant, (db) =>
      invite(db, actor, { email, role: input.role }, { ip: client.ip, at: this.deps.clock.now() }),
    );
    await this.deps.mail.send({
      kind: 'identity.invitation',
      tenant,
      to: email,
      subject: `${actor.name} invited you to ${workspace.name} on Steadfast`,
      text: [
        `${actor.name} invited you to join ${workspace.name} as ${input.role}.`,
        '',
        `Accept the invitation and choose your password here (the link works once, for ${invitationDays} days):`,
        `${workspace.url}/accept-invitation#token=${token}`,
        '',
        'If you did not expect this, ignore this message: nothing happens until the link is used.',
      ].join('\n'),
    });
    return view;
  }

  invitations(tenant: string): Promise<InvitationView[]> {
    return this.use(tenant, (db) => listInvitations(db, this.deps.clock.now()));
  }

  revokeInvitation(tenant: string, actor: UserActor, id: string, client: Client): Promise<void> {
    return this.use(tenant, (db) => revokeInvitation(db, actor, id, { ip: client.ip, at: this.deps.clock.now() }));
  }

  /** The address and role an invitation link offers, or INVITATION_INVALID. */
  openInvitation(tenant: string, token: string): Promise<{ email: string; role: Role }> {
    return this.use(tenant, async (db) => {
      const { email, role } = await openInvitation(db, token, this.deps.clock.now());
      return { email, role };
    });
  }

  /** Accepts an invitation with a name and a strong password, and signs the new member in. */
  async acceptInvitation(
    tenant: string,
    input: { token: string; name: string; password: string },
    client: Client,
  ): Promise<SignedIn> {
    const { email } = await this.openInvitation(tenant, input.token);
    assertStrongPassword(input.password, [email, input.name]);
    const passwordHash = await hashPassword(input.password);
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const user = await acceptInvitation(
          tx,
          { token: input.token, name: input.name, passwordHash },
          { ip: client.ip, at: this.deps.clock.now() },
        );
        return startSession(tx, this.deps, { id: user.userId, email: user.email, role: user.role }, client, {
          method: 'invitation',
        });
      }),
    );
  }

  /**
   * Mails a reset link when the address has an account; otherwise does nothing visible. The
   * caller answers the same either way.
   */
  async requestReset(tenant: string, emailGiven: string, client: Client, workspace: Workspace): Promise<void> {
    const email = normalEmail(emailGiven);
    const started = await this.use(tenant, (db) => startReset(db, email, { ip: client.ip, at: this.deps.clock.now() }));
    if (!started) return;
    await this.deps.mail.send({
      kind: 'identity.reset',
      tenant,
      to: email,
      subject: `Reset your password for ${workspace.name}`,
      text: [
        `Hello ${started.name},`,
        '',
        `Someone (we hope you) asked to reset the password of ${email} in ${workspace.name}.`,
        `Choose a new one here; the link works once, for ${resetMinutes} minutes:`,
        `${workspace.url}/reset-password#token=${started.token}`,
        '',
        'If it was not you, ignore this message: your password stays as it is.',
      ].join('\n'),
    });
  }

  /**
   * A link to choose a password for an existing account, handed over by an operator (`steadfast
   * user link`, the demo owner's first start) instead of mailed. Returns its token, or
   * NOT_FOUND when the workspace has no such live account.
   */
  async passwordLink(tenant: string, emailGiven: string, options: { hours: number; actor: string }): Promise<string> {
    const email = normalEmail(emailGiven);
    const started = await this.use(tenant, (db) =>
      startReset(db, email, { at: this.deps.clock.now(), actor: options.actor, minutes: options.hours * 60 }),
    );
    if (!started)
      throw appError('NOT_FOUND', `${tenant} has no member ${email}. See them with "steadfast user list ${tenant}".`);
    return started.token;
  }

  /** Sets a new password with a reset link; every session of the account ends. */
  async finishReset(tenant: string, input: { token: string; password: string }, client: Client): Promise<void> {
    const owner = await this.use(tenant, (db) =>
      db
        .selectFrom('password_resets')
        .innerJoin('users', 'users.id', 'password_resets.user_id')
        .select(['users.email', 'users.name'])
        .where('password_resets.token_hash', '=', secretHash(input.token))
        .executeTakeFirst(),
    );
    if (owner) assertStrongPassword(input.password, [owner.email, owner.name]);
    const passwordHash = await hashPassword(input.password);
    const { userId } = await this.use(tenant, (db) =>
      finishReset(db, { token: input.token, passwordHash }, { ip: client.ip, at: this.deps.clock.now() }),
    );
    this.forget(tenant, userId);
  }

  securitySettings(tenant: string): Promise<SecuritySettings> {
    return this.use(tenant, readSecuritySettings);
  }

  /**
   * Changes the workspace's security settings, audited with what changed. An allow-list that would
   * shut out the address saving it needs `confirmLockout`: it applies to the one saving it too.
   */
  async updateSecuritySettings(
    tenant: string,
    actor: UserActor,
    change: Partial<SecuritySettings> & { confirmLockout?: boolean | undefined },
    client: Client,
  ): Promise<SecuritySettings> {
    const { confirmLockout, ...settings } = change;
    if (settings.ipAllowList) {
      const entries = [...new Set(settings.ipAllowList.map((entry) => normalEntry(entry)!))];
      Object.assign(settings, { ipAllowList: entries });
      if (client.ip && !new AllowList(entries).allows(client.ip) && !confirmLockout)
        throw appError(
          'CONFIRMATION_REQUIRED',
          `Your own address (${client.ip}) is not on this list: once saved, you could no longer reach this workspace from here. Add it, or save again with "confirmLockout": true if you mean it.`,
        );
    }
    const saved = await this.use(tenant, (db) =>
      writeSecuritySettings(db, actor, settings, { ip: client.ip, at: this.deps.clock.now() }),
    );
    this.allowLists.forget(tenant);
    this.forget(tenant);
    return saved;
  }

  /** Whether the workspace's IP allow-list lets `ip` in (an empty list lets everyone in). */
  async allowsAddress(tenant: string, ip: string): Promise<boolean> {
    return (await this.allowLists.get(tenant)).allows(ip);
  }

  private context(client: Client | undefined) {
    return { secretKey: this.deps.secretKey, at: this.deps.clock.now(), ip: client?.ip };
  }

  members(tenant: string): Promise<MemberView[]> {
    return this.use(tenant, listMembers);
  }

  async changeRole(
    tenant: string,
    actor: UserActor,
    memberId: string,
    role: Role,
    client: Client,
  ): Promise<MemberView> {
    const member = await this.use(tenant, (db) =>
      changeRole(db, actor, memberId, role, { ip: client.ip, at: this.deps.clock.now() }),
    );
    this.forget(tenant, memberId);
    return member;
  }

  /** Takes away a member's lost second factors; their sessions end. Audited. */
  async resetSecondFactors(tenant: string, actor: UserActor, memberId: string, client: Client): Promise<void> {
    await this.use(tenant, (db) =>
      resetSecondFactors(db, actor, memberId, { ip: client.ip, at: this.deps.clock.now() }),
    );
    this.forget(tenant, memberId);
  }

  async removeMember(tenant: string, actor: UserActor, memberId: string, client: Client): Promise<void> {
    await this.use(tenant, (db) => removeMember(db, actor, memberId, { ip: client.ip, at: this.deps.clock.now() }));
    this.forget(tenant, memberId);
  }

  /** Appends one entry to the workspace's audit log (support access, written by the staff side). */
  recordAudit(tenant: string, event: AuditEvent): Promise<void> {
    return this.use(tenant, (db) => db.transaction().execute((tx) => appendAudit(tx, event, this.deps.clock.now())));
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
