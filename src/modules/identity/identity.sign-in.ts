import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import { createChallenge, failChallenge, findChallenge, spendChallenge } from './identity.challenges.js';
import { checkPassword, decoyHash, hashPassword } from './identity.passwords.js';
import { SessionStore, type SessionHolder, type SessionLimits } from './identity.sessions.js';
import type { IdentityDatabase } from './identity.tables.js';
import { checkSecondFactor, recoveryCodesLeft } from './identity.totp.js';
import { checkPasskey, type RelyingParty } from './identity.passkeys.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

export interface SignInDeps {
  readonly clock: Clock;
  readonly sessions: SessionLimits;
  readonly secretKey: string;
}

export interface Client {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

export type SecondFactorMethod = 'totp' | 'recovery-code' | 'passkey';

/** A sign-in either ends with a session, or asks for the second factor of an account that has one. */
export interface SignedIn {
  readonly kind: 'session';
  readonly token: string;
  readonly holder: SessionHolder;
}
export type SignInOutcome =
  SignedIn | { readonly kind: 'second-factor'; readonly challenge: string; readonly methods: SecondFactorMethod[] };

/** Failures before the back-off starts, and its ceiling. */
const freeFailures = 3;
const maxLockSeconds = 15 * 60;
/** Minutes between the password and the second factor. */
const secondFactorMinutes = 5;

/** Seconds an address is locked after its `failures`-th failure in a row: 2, 4, 8 … up to 15 minutes. */
export function lockSeconds(failures: number): number {
  return failures <= freeFailures ? 0 : Math.min(2 ** (failures - freeFailures), maxLockSeconds);
}

async function assertNotLocked(db: Kysely<IdentityDatabase>, email: string, now: Date): Promise<void> {
  const failures = await db.selectFrom('sign_in_failures').selectAll().where('email', '=', email).executeTakeFirst();
  if (failures?.locked_until && failures.locked_until > now) {
    const seconds = Math.ceil((failures.locked_until.getTime() - now.getTime()) / 1000);
    throw appError('TOO_MANY_ATTEMPTS', `Too many failed sign-ins for this address. Try again in ${seconds} s.`, {
      extensions: { retryAfterSeconds: seconds },
    });
  }
}

/**
 * Signs in with an address and a password. Every failure says the same thing and takes as long
 * whether or not the address has an account; after three in a row the address waits 2, 4, 8 …
 * seconds (up to 15 minutes). An account with a second factor gets a challenge, not a session:
 * its failures go on counting until the second factor is passed too.
 */
export async function passwordSignIn(
  db: Kysely<IdentityDatabase>,
  deps: SignInDeps,
  input: { email: string; password: string },
  client: Client,
): Promise<SignInOutcome> {
  const { email } = input;
  const now = deps.clock.now();
  await assertNotLocked(db, email, now);
  const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const { ok, rehash } = await checkPassword(user?.password_hash ?? (await decoyHash()), input.password);
  if (!user || !ok || user.disabled_at || !user.password_hash) {
    await recordFailure(db, email, now, client, 'password');
    throw appError('SIGN_IN_FAILED', 'The email address or the password is wrong.');
  }
  const newHash = rehash ? await hashPassword(input.password) : undefined;
  return db.transaction().execute(async (tx) => {
    if (newHash) await tx.updateTable('users').set({ password_hash: newHash }).where('id', '=', user.id).execute();
    const passkeys = await tx.selectFrom('passkeys').select('id').where('user_id', '=', user.id).limit(1).execute();
    const methods: SecondFactorMethod[] = [
      ...(user.totp_enabled_at ? (['totp', 'recovery-code'] as const) : []),
      ...(passkeys.length ? (['passkey'] as const) : []),
    ];
    if (methods.length > 0) {
      const challenge = await createChallenge(
        tx,
        { purpose: 'second-factor', userId: user.id, minutes: secondFactorMinutes },
        now,
      );
      return { kind: 'second-factor', challenge, methods };
    }
    return startSession(tx, deps, { id: user.id, email, role: user.role }, client, { method: 'password' });
  });
}

/**
 * The second step of a sign-in: a code from the authenticator app, or a recovery code, with the
 * challenge the password step gave. Five wrong codes spend the challenge; each counts towards the
 * address's back-off as a wrong password does.
 */
export async function secondFactorSignIn(
  db: Kysely<IdentityDatabase>,
  deps: SignInDeps,
  input: {
    challenge: string;
    code?: string | undefined;
    recoveryCode?: string | undefined;
    passkey?: { rp: RelyingParty; response: AuthenticationResponseJSON } | undefined;
  },
  client: Client,
): Promise<SignedIn> {
  const now = deps.clock.now();
  const context = { secretKey: deps.secretKey, at: now, ip: client.ip };
  const outcome = await db.transaction().execute(async (tx) => {
    const challenge = await findChallenge(tx, input.challenge, 'second-factor', now);
    const user =
      challenge?.user_id &&
      (await tx
        .selectFrom('users')
        .select(['id', 'email', 'role'])
        .where('id', '=', challenge.user_id)
        .where('disabled_at', 'is', null)
        .executeTakeFirst());
    if (!challenge || !user)
      throw appError(
        'SECOND_FACTOR_FAILED',
        'This sign-in has expired or used all its tries. Sign in again with your password.',
      );
    await assertNotLocked(tx, user.email, now);
    const method = input.passkey
      ? await passkeyOf(tx, user.id, input.passkey, now)
      : await checkSecondFactor(tx, user.id, input, context);
    if (!method) return { ok: false, challengeId: challenge.id, email: user.email } as const;
    await spendChallenge(tx, challenge.id);
    const session = await startSession(tx, deps, user, client, { method: `password+${method}` });
    if (method === 'recovery-code')
      await appendAudit(
        tx,
        {
          actor: `user:${user.email}`,
          action: 'two_factor.recovery_code_used',
          target: user.email,
          ip: client.ip,
          detail: { left: await recoveryCodesLeft(tx, user.id) },
        },
        now,
      );
    return { ok: true, session } as const;
  });
  if (outcome.ok) return outcome.session;
  const left = await failChallenge(db, outcome.challengeId);
  await recordFailure(db, outcome.email, now, client, 'second-factor');
  throw appError(
    'SECOND_FACTOR_FAILED',
    left > 0
      ? `That code is not right (or was used already). ${left} ${left === 1 ? 'try' : 'tries'} left.`
      : 'That code is not right, and this sign-in has used all its tries. Sign in again with your password.',
  );
}

/** The second step by passkey: one of this person's, or undefined (a passkey of someone else's counts as wrong). */
async function passkeyOf(
  tx: Kysely<IdentityDatabase>,
  userId: string,
  passkey: { rp: RelyingParty; response: AuthenticationResponseJSON },
  now: Date,
): Promise<'passkey' | undefined> {
  const owner = await checkPasskey(tx, passkey.rp, passkey.response, now).catch(() => undefined);
  return owner?.id === userId ? 'passkey' : undefined;
}

/**
 * Signs in with a passkey alone: it is something one has, unlocked by something one is or knows
 * (user verification is required), so it is both factors.
 */
export async function passkeySignIn(
  db: Kysely<IdentityDatabase>,
  deps: SignInDeps,
  passkey: { rp: RelyingParty; response: AuthenticationResponseJSON },
  client: Client,
): Promise<SignedIn> {
  return db.transaction().execute(async (tx) => {
    const owner = await checkPasskey(tx, passkey.rp, passkey.response, deps.clock.now());
    return startSession(tx, deps, { id: owner.id, email: owner.email, role: owner.role }, client, {
      method: 'passkey',
    });
  });
}

/** Starts a session for someone who passed every step; clears their failures; audits how. */
export async function startSession(
  tx: Kysely<IdentityDatabase>,
  deps: SignInDeps,
  user: { id: string; email: string; role: SessionHolder['role'] },
  client: Client,
  detail: { method: string },
): Promise<SignedIn> {
  const now = deps.clock.now();
  await tx.deleteFrom('sign_in_failures').where('email', '=', user.email).execute();
  const session = await new SessionStore(tx, deps.clock, deps.sessions).start(user.id, client);
  await appendAudit(
    tx,
    { actor: `user:${user.email}`, action: 'session.signed_in', target: user.email, ip: client.ip, detail },
    now,
  );
  return {
    kind: 'session',
    token: session.token,
    holder: { sessionId: session.id, userId: user.id, email: user.email, role: user.role },
  };
}

/** Counts a failed sign-in step for an address (whether or not it has an account) and locks it per `lockSeconds`. */
export async function recordFailure(
  db: Kysely<IdentityDatabase>,
  email: string,
  now: Date,
  client: Client,
  step: 'password' | 'second-factor' | 'current-password',
): Promise<void> {
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
        actor: step === 'current-password' ? `user:${email}` : 'anonymous',
        action: 'session.sign_in_failed',
        target: email,
        ip: client.ip,
        detail: { failures: row.failures, step },
      },
      now,
    );
  });
}
