import { createHmac, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateSecret, generateURI, verify } from 'otplib';
import { openField, sealField } from '../../platform/crypto/fields.js';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import type { IdentityDatabase } from './identity.tables.js';

/** Codes from an authenticator app (RFC 6238: 6 digits every 30 s) and the recovery codes beside them. */
const sealPurpose = 'identity.totp';
/** A code from the step before or after is taken too: phones' clocks drift, and typing takes time. */
const toleranceSeconds = 30;
export const recoveryCodeCount = 10;
/** No 0/o, 1/l/i: a recovery code is read off paper. */
const recoveryAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

interface Context {
  readonly secretKey: string;
  readonly at: Date;
  readonly ip?: string | undefined;
}

/** A code as typed: spaces and dashes dropped, lower case. */
const normalCode = (code: string): string => code.replace(/[\s-]/g, '').toLowerCase();

/** Recovery codes are kept as HMACs under the platform's key: a copy of the database cannot guess them offline. */
function recoveryHash(secretKey: string, userId: string, code: string): Buffer {
  return createHmac('sha256', secretKey)
    .update(`recovery:${userId}:${normalCode(code)}`)
    .digest();
}

function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => recoveryAlphabet[randomInt(recoveryAlphabet.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** Replaces a person's recovery codes with ten new ones, returned this once. */
export async function replaceRecoveryCodes(
  db: Kysely<IdentityDatabase>,
  userId: string,
  secretKey: string,
): Promise<string[]> {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({ user_id: userId, code_hash: recoveryHash(secretKey, userId, code) })))
    .execute();
  return codes;
}

/**
 * Starts setting up TOTP: a new secret, kept sealed until the first code from the app confirms
 * it. Starting again replaces an unconfirmed secret; with TOTP already on, it is refused.
 */
export async function beginTotp(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string },
  issuer: string,
  context: Context,
): Promise<{ secret: string; otpauthUrl: string }> {
  const row = await db.selectFrom('users').select('totp_enabled_at').where('id', '=', user.id).executeTakeFirst();
  if (row?.totp_enabled_at)
    throw appError('TWO_FACTOR_STATE', 'An authenticator app is already set up. Remove it first to set up another.');
  const { secret, sealed, otpauthUrl } = newTotpSecret(context.secretKey, { issuer, account: user.email });
  await db.updateTable('users').set({ totp_secret: sealed, totp_last_step: null }).where('id', '=', user.id).execute();
  return { secret, otpauthUrl };
}

/** A new authenticator-app secret, sealed for storage, with the otpauth:// address its QR code carries. */
export function newTotpSecret(
  secretKey: string,
  label: { issuer: string; account: string },
): { secret: string; sealed: string; otpauthUrl: string } {
  const secret = generateSecret();
  return {
    secret,
    sealed: sealField(secretKey, sealPurpose, secret),
    otpauthUrl: generateURI({ issuer: label.issuer, label: label.account, secret }),
  };
}

/** A sealed secret opened again, with its otpauth:// address (a setup page reloaded before it was confirmed). */
export function openTotpSecret(
  secretKey: string,
  sealed: string,
  label: { issuer: string; account: string },
): { secret: string; otpauthUrl: string } {
  const secret = openField(secretKey, sealPurpose, sealed);
  return { secret, otpauthUrl: generateURI({ issuer: label.issuer, label: label.account, secret }) };
}

/** Whether `code` is the current TOTP code for a sealed secret, and after `lastStep` (a code is good once): its time step, or undefined. */
export async function totpStep(
  sealed: string,
  code: string,
  lastStep: number | null,
  context: Context,
): Promise<number | undefined> {
  const token = normalCode(code);
  if (!/^\d{6}$/.test(token)) return undefined;
  const result = await verify({
    secret: openField(context.secretKey, sealPurpose, sealed),
    token,
    epoch: Math.floor(context.at.getTime() / 1000),
    epochTolerance: toleranceSeconds,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  }).catch(() => ({ valid: false as const }));
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** Confirms TOTP with a first code from the app: it is on from now, and ten recovery codes are returned once. */
export async function confirmTotp(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string },
  code: string,
  context: Context,
): Promise<{ recoveryCodes: string[] }> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('users')
      .select(['totp_secret', 'totp_enabled_at'])
      .where('id', '=', user.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.totp_enabled_at) throw appError('TWO_FACTOR_STATE', 'An authenticator app is already set up.');
    if (!row.totp_secret)
      throw appError('TWO_FACTOR_STATE', 'Start setting up an authenticator app first (POST /api/v1/me/totp).');
    const step = await totpStep(row.totp_secret, code, null, context);
    if (step === undefined)
      throw appError(
        'SECOND_FACTOR_FAILED',
        'That code is not the one your authenticator app shows now. Check the phone’s time is set automatically, and type the newest code.',
      );
    await tx
      .updateTable('users')
      .set({ totp_enabled_at: context.at, totp_last_step: step })
      .where('id', '=', user.id)
      .execute();
    const recoveryCodes = await replaceRecoveryCodes(tx, user.id, context.secretKey);
    await appendAudit(
      tx,
      { actor: `user:${user.email}`, action: 'two_factor.enabled', target: user.email, ip: context.ip },
      context.at,
    );
    return { recoveryCodes };
  });
}

/** Turns TOTP off and drops the recovery codes. */
export async function removeTotp(
  db: Kysely<IdentityDatabase>,
  user: { id: string; email: string },
  context: Context,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('users')
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
      .where('id', '=', user.id)
      .where('totp_enabled_at', 'is not', null)
      .returning('id')
      .executeTakeFirst();
    if (!row) throw appError('TWO_FACTOR_STATE', 'No authenticator app is set up for your account.');
    await tx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    await appendAudit(
      tx,
      { actor: `user:${user.email}`, action: 'two_factor.disabled', target: user.email, ip: context.ip },
      context.at,
    );
  });
}

/**
 * Checks a second factor typed at sign-in: a TOTP code (each good once) or a recovery code
 * (each good once, marked used). Returns how it was passed, or undefined.
 */
export async function checkSecondFactor(
  db: Kysely<IdentityDatabase>,
  userId: string,
  input: { code?: string | undefined; recoveryCode?: string | undefined },
  context: Context,
): Promise<'totp' | 'recovery-code' | undefined> {
  if (input.recoveryCode) {
    const used = await db
      .updateTable('recovery_codes')
      .set({ used_at: context.at })
      .where('user_id', '=', userId)
      .where('code_hash', '=', recoveryHash(context.secretKey, userId, input.recoveryCode))
      .where('used_at', 'is', null)
      .returning('user_id')
      .executeTakeFirst();
    return used ? 'recovery-code' : undefined;
  }
  if (!input.code) return undefined;
  const row = await db
    .selectFrom('users')
    .select(['totp_secret', 'totp_enabled_at', 'totp_last_step'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  if (!row?.totp_secret || !row.totp_enabled_at) return undefined;
  const step = await totpStep(row.totp_secret, input.code, row.totp_last_step, context);
  if (step === undefined) return undefined;
  await db.updateTable('users').set({ totp_last_step: step }).where('id', '=', userId).execute();
  return 'totp';
}

/** How many unused recovery codes a person has left. */
export async function recoveryCodesLeft(db: Kysely<IdentityDatabase>, userId: string): Promise<number> {
  const { n } = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(n);
}
