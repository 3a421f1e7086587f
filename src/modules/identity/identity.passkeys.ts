import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import { createChallengeFor, findChallenge, spendChallenge } from './identity.challenges.js';
import type { ChallengePurpose, IdentityDatabase, Role } from './identity.tables.js';

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server: registered from one's account, used as a
 * second factor after the password, or alone (a discoverable passkey with user verification is
 * both factors). Each workspace is its own relying party: its host is the RP ID, so a passkey of
 * one workspace means nothing to another.
 */
export interface RelyingParty {
  /** The workspace's host name, e.g. acme.example.com. */
  readonly id: string;
  /** Where the browser must be: scheme, host and port, e.g. https://acme.example.com */
  readonly origin: string;
  /** Shown by the browser and the authenticator. */
  readonly name: string;
}

export interface PasskeyView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly backedUp: boolean;
}

/** Minutes a ceremony may take, from its options to its answer. */
const ceremonyMinutes = 5;

interface Context {
  readonly at: Date;
  readonly ip?: string | undefined;
}

/** A ceremony's challenge is the WebAuthn challenge itself (stored hashed): the browser's answer carries it back. */
const challengeCheck =
  (
    db: Kysely<IdentityDatabase>,
    purpose: ChallengePurpose,
    now: Date,
    found: { id?: string; userId?: string | null },
  ) =>
  async (challenge: string): Promise<boolean> => {
    const row = await findChallenge(db, challenge, purpose, now);
    if (!row) return false;
    found.id = row.id;
    found.userId = row.user_id;
    return true;
  };

export async function registrationOptions(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string; name: string },
  rp: RelyingParty,
  now: Date,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await db
    .selectFrom('passkeys')
    .select(['id', 'transports'])
    .where('user_id', '=', user.id)
    .execute();
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.name,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((key) => ({ id: key.id, transports: key.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    timeout: ceremonyMinutes * 60_000,
  });
  await createChallengeFor(
    db,
    options.challenge,
    { purpose: 'passkey-register', userId: user.id, minutes: ceremonyMinutes },
    now,
  );
  return options;
}

/** Checks the browser's answer to the registration options and keeps the new passkey. Audited. */
export async function addPasskey(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string },
  rp: RelyingParty,
  input: { name: string; response: RegistrationResponseJSON },
  context: Context,
): Promise<PasskeyView> {
  return db.transaction().execute(async (tx) => {
    const found: { id?: string; userId?: string | null } = {};
    const verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challengeCheck(tx, 'passkey-register', context.at, found),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    }).catch((error: Error) => {
      throw appError('PASSKEY_REJECTED', `The passkey could not be registered: ${error.message}. Try again.`);
    });
    if (!verification.verified || found.userId !== user.id)
      throw appError('PASSKEY_REJECTED', 'The passkey could not be registered. Try again.');
    await spendChallenge(tx, found.id!);
    const { credential, credentialBackedUp } = verification.registrationInfo;
    const row = await tx
      .insertInto('passkeys')
      .values({
        id: credential.id,
        user_id: user.id,
        name: input.name,
        public_key: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ?? [],
        backed_up: credentialBackedUp,
        created_at: context.at,
      })
      .returning(['id', 'name', 'created_at', 'last_used_at', 'backed_up'])
      .executeTakeFirstOrThrow();
    await appendAudit(
      tx,
      {
        actor: `user:${user.email}`,
        action: 'passkey.added',
        target: user.email,
        ip: context.ip,
        detail: { passkeyId: row.id, name: input.name },
      },
      context.at,
    );
    return present(row);
  });
}

const present = (row: {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  backed_up: boolean;
}) => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  backedUp: row.backed_up,
});

export async function listPasskeys(db: Kysely<IdentityDatabase>, userId: string): Promise<PasskeyView[]> {
  const rows = await db
    .selectFrom('passkeys')
    .select(['id', 'name', 'created_at', 'last_used_at', 'backed_up'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return rows.map(present);
}

export async function removePasskey(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string },
  passkeyId: string,
  context: Context,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx
      .deleteFrom('passkeys')
      .where('id', '=', passkeyId)
      .where('user_id', '=', user.id)
      .returning('name')
      .executeTakeFirst();
    if (!row) throw appError('NOT_FOUND', 'You have no passkey with that id.');
    await appendAudit(
      tx,
      {
        actor: `user:${user.email}`,
        action: 'passkey.removed',
        target: user.email,
        ip: context.ip,
        detail: { passkeyId, name: row.name },
      },
      context.at,
    );
  });
}

/**
 * Options to sign in with a passkey: any of the workspace's (discoverable, the browser offers
 * the person's own) when `userId` is left out, or only that person's (the second step after a
 * password). User verification is required either way.
 */
export async function signInOptions(
  db: Kysely<IdentityDatabase>,
  rp: RelyingParty,
  now: Date,
  userId?: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allowed = userId
    ? await db.selectFrom('passkeys').select(['id', 'transports']).where('user_id', '=', userId).execute()
    : [];
  if (userId && allowed.length === 0)
    throw appError(
      'SECOND_FACTOR_FAILED',
      'This account has no passkey. Use the authenticator app or a recovery code.',
    );
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    timeout: ceremonyMinutes * 60_000,
    allowCredentials: allowed.map((key) => ({ id: key.id, transports: key.transports as never })),
  });
  await createChallengeFor(
    db,
    options.challenge,
    { purpose: 'passkey-sign-in', userId: userId ?? null, minutes: ceremonyMinutes },
    now,
  );
  return options;
}

/**
 * Checks a passkey assertion against the options given: the passkey, its signature, the
 * workspace, user verification, and a counter that went forward. Returns its owner; the
 * challenge is spent. Run it in the transaction that starts the session.
 */
export async function checkPasskey(
  db: Kysely<IdentityDatabase>,
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  now: Date,
): Promise<{ id: string; email: string; role: Role; passkeyId: string }> {
  const refused = () =>
    appError('SIGN_IN_FAILED', 'That passkey was not accepted here. Try again, or sign in with your password.');
  const key = await db
    .selectFrom('passkeys')
    .innerJoin('users', 'users.id', 'passkeys.user_id')
    .select([
      'passkeys.id',
      'passkeys.public_key',
      'passkeys.counter',
      'passkeys.transports',
      'users.id as userId',
      'users.email',
      'users.role',
      'users.disabled_at',
    ])
    .where('passkeys.id', '=', response.id)
    .executeTakeFirst();
  if (!key || key.disabled_at) throw refused();
  const found: { id?: string; userId?: string | null } = {};
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challengeCheck(db, 'passkey-sign-in', now, found),
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: {
      id: key.id,
      publicKey: new Uint8Array(key.public_key),
      counter: key.counter,
      transports: key.transports,
    },
    requireUserVerification: true,
  }).catch(() => ({ verified: false as const }));
  if (!verification.verified || (found.userId && found.userId !== key.userId)) throw refused();
  await spendChallenge(db, found.id!);
  await db
    .updateTable('passkeys')
    .set({ counter: verification.authenticationInfo.newCounter, last_used_at: now })
    .where('id', '=', key.id)
    .execute();
  return { id: key.userId, email: key.email, role: key.role, passkeyId: key.id };
}
