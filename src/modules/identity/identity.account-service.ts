import type { Kysely } from 'kysely';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import {
  addPasskey,
  listPasskeys,
  registrationOptions,
  removePasskey,
  type PasskeyView,
  type RelyingParty,
} from './identity.passkeys.js';
import { assertStrongPassword, checkPassword, hashPassword } from './identity.passwords.js';
import type { UserActor } from './identity.policy.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { TenantDatabases, Workspace } from './identity.ports.js';
import { SessionStore, type SessionLimits, type SessionView } from './identity.sessions.js';
import { recordFailure, type Client } from './identity.sign-in.js';
import type { IdentityDatabase, IdentityTables, TokenScope } from './identity.tables.js';
import { TokenStore, type TokenView } from './identity.tokens-store.js';
import { beginTotp, confirmTotp, recoveryCodesLeft, removeTotp, replaceRecoveryCodes } from './identity.totp.js';

export interface AccountServiceDeps {
  readonly databases: TenantDatabases;
  readonly clock: Clock;
  readonly sessions: SessionLimits;
  /** The platform's secret key: TOTP seeds are sealed and recovery codes keyed under it. */
  readonly secretKey: string;
  /** Forgets what this process remembers of the person's sessions and tokens, after a change to them. */
  readonly forget: (tenant: string, userId: string) => void;
  /** Whether the workspace requires a second factor (the last one cannot then be removed). */
  readonly requiresTwoFactor: (tenant: string) => Promise<boolean>;
}

export interface TwoFactorStatus {
  readonly totp: boolean;
  readonly recoveryCodesLeft: number;
  readonly passkeys: number;
}

/**
 * A person's own account in a workspace: their password, authenticator app and recovery codes,
 * passkeys, sessions and API tokens. Every change is audited, and the sessions and tokens this
 * process remembers for the person are forgotten at once.
 */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  private use<R>(tenant: string, work: (db: Kysely<IdentityDatabase>) => Promise<R>): Promise<R> {
    return this.deps.databases(tenant, (db) => work(db.withTables<IdentityTables>()));
  }

  private sessionsOf(db: Kysely<IdentityDatabase>): SessionStore {
    return new SessionStore(db, this.deps.clock, this.deps.sessions);
  }

  private context(client: Client | undefined) {
    return { secretKey: this.deps.secretKey, at: this.deps.clock.now(), ip: client?.ip };
  }

  passkeys(tenant: string, userId: string): Promise<PasskeyView[]> {
    return this.use(tenant, (db) => listPasskeys(db, userId));
  }

  passkeyRegistrationOptions(
    tenant: string,
    actor: UserActor,
    rp: RelyingParty,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.use(tenant, async (db) => {
      const user = await db
        .selectFrom('users')
        .select(['id', 'email', 'name'])
        .where('id', '=', actor.userId)
        .executeTakeFirstOrThrow();
      return registrationOptions(db, user, rp, this.deps.clock.now());
    });
  }

  async addPasskey(
    tenant: string,
    actor: UserActor,
    rp: RelyingParty,
    input: { name: string; response: RegistrationResponseJSON },
    client: Client,
  ): Promise<PasskeyView> {
    const added = await this.use(tenant, (db) =>
      addPasskey(db, { id: actor.userId, email: actor.name }, rp, input, { at: this.deps.clock.now(), ip: client.ip }),
    );
    this.deps.forget(tenant, actor.userId);
    return added;
  }

  async removePasskey(tenant: string, actor: UserActor, passkeyId: string, client: Client): Promise<void> {
    const status = await this.twoFactorStatus(tenant, actor.userId);
    if ((await this.deps.requiresTwoFactor(tenant)) && !status.totp && status.passkeys <= 1)
      throw appError(
        'TWO_FACTOR_STATE',
        'This workspace requires two-factor authentication, and this is your only second factor: add another passkey or an authenticator app first.',
      );
    await this.use(tenant, (db) =>
      removePasskey(db, { id: actor.userId, email: actor.name }, passkeyId, {
        at: this.deps.clock.now(),
        ip: client.ip,
      }),
    );
    this.deps.forget(tenant, actor.userId);
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
    const done = await this.use(tenant, (db) =>
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
    this.deps.forget(tenant, actor.userId);
    return done;
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
    const done = await this.use(tenant, (db) =>
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
    this.deps.forget(tenant, actor.userId);
    return done;
  }

  /** Changes one's password, knowing the current one; every other session of the account ends. */
  async changePassword(
    tenant: string,
    actor: UserActor,
    input: { currentPassword: string; newPassword: string },
    client: Client,
  ): Promise<void> {
    const user = await this.confirmPassword(tenant, actor, input.currentPassword, client);
    assertStrongPassword(input.newPassword, [user.email, user.name]);
    const passwordHash = await hashPassword(input.newPassword);
    const now = this.deps.clock.now();
    await this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        await tx
          .updateTable('users')
          .set({ password_hash: passwordHash, password_changed_at: now })
          .where('id', '=', actor.userId)
          .execute();
        const ended = await this.sessionsOf(tx).revokeAll(actor.userId, actor.sessionId);
        await appendAudit(
          tx,
          {
            actor: `user:${actor.name}`,
            action: 'password.changed',
            target: actor.name,
            ip: client.ip,
            detail: { otherSessionsEnded: ended },
          },
          now,
        );
      }),
    );
    this.deps.forget(tenant, actor.userId);
  }

  /** Checks the signed-in person's current password before a sensitive change; a wrong one counts as a failed sign-in. */
  private async confirmPassword(
    tenant: string,
    actor: UserActor,
    password: string,
    client: Client,
  ): Promise<{ email: string; name: string }> {
    return this.use(tenant, async (db) => {
      const user = await db.selectFrom('users').selectAll().where('id', '=', actor.userId).executeTakeFirstOrThrow();
      const { ok } = user.password_hash ? await checkPassword(user.password_hash, password) : { ok: false };
      if (!ok) {
        await recordFailure(db, user.email, this.deps.clock.now(), client, 'current-password');
        throw appError('SIGN_IN_FAILED', 'Your current password is not right.');
      }
      return user;
    });
  }

  /** Starts setting up an authenticator app: the secret and the otpauth:// link its QR code holds. */
  beginTotp(tenant: string, actor: UserActor, workspace: Workspace): Promise<{ secret: string; otpauthUrl: string }> {
    return this.use(tenant, (db) =>
      beginTotp(db, { id: actor.userId, email: actor.name }, `Steadfast ${workspace.name}`, this.context(undefined)),
    );
  }

  async confirmTotp(
    tenant: string,
    actor: UserActor,
    code: string,
    client: Client,
  ): Promise<{ recoveryCodes: string[] }> {
    const confirmed = await this.use(tenant, (db) =>
      confirmTotp(db, { id: actor.userId, email: actor.name }, code, this.context(client)),
    );
    this.deps.forget(tenant, actor.userId);
    return confirmed;
  }

  /** Removes the authenticator app, with the current password; refused while the workspace requires a second factor. */
  async removeTotp(tenant: string, actor: UserActor, password: string, client: Client): Promise<void> {
    await this.confirmPassword(tenant, actor, password, client);
    if ((await this.deps.requiresTwoFactor(tenant)) && (await this.passkeys(tenant, actor.userId)).length === 0)
      throw appError(
        'TWO_FACTOR_STATE',
        'This workspace requires two-factor authentication, so the authenticator app cannot be removed. Set up the new one after asking an admin, or keep this one.',
      );
    await this.use(tenant, (db) => removeTotp(db, { id: actor.userId, email: actor.name }, this.context(client)));
    this.deps.forget(tenant, actor.userId);
  }

  /** New recovery codes (the old ones stop working), with the current password. */
  async renewRecoveryCodes(tenant: string, actor: UserActor, password: string, client: Client): Promise<string[]> {
    await this.confirmPassword(tenant, actor, password, client);
    return this.use(tenant, (db) =>
      db.transaction().execute(async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select('totp_enabled_at')
          .where('id', '=', actor.userId)
          .executeTakeFirstOrThrow();
        if (!user.totp_enabled_at)
          throw appError('TWO_FACTOR_STATE', 'Recovery codes come with an authenticator app: set one up first.');
        const codes = await replaceRecoveryCodes(tx, actor.userId, this.deps.secretKey);
        await appendAudit(
          tx,
          {
            actor: `user:${actor.name}`,
            action: 'two_factor.recovery_codes_renewed',
            target: actor.name,
            ip: client.ip,
          },
          this.deps.clock.now(),
        );
        return codes;
      }),
    );
  }

  /** What the person has set up beyond a password. */
  twoFactorStatus(tenant: string, userId: string): Promise<TwoFactorStatus> {
    return this.use(tenant, async (db) => {
      const user = await db.selectFrom('users').select('totp_enabled_at').where('id', '=', userId).executeTakeFirst();
      return {
        totp: Boolean(user?.totp_enabled_at),
        recoveryCodesLeft: await recoveryCodesLeft(db, userId),
        passkeys: (await listPasskeys(db, userId)).length,
      };
    });
  }
}
