import type { Kysely, Selectable } from 'kysely';
import type { ChallengePurpose, ChallengesTable, IdentityDatabase } from './identity.tables.js';
import { newSecret, secretHash } from './identity.tokens.js';

/** Tries a challenge allows before it is spent: guessing a 6-digit code stays hopeless. */
export const challengeAttempts = 5;

export type Challenge = Selectable<ChallengesTable>;

/**
 * A step between two others: after the password and before the second factor, or a WebAuthn
 * ceremony between its options and its answer. Its token goes to the client once; it is stored
 * hashed, lives minutes, allows a few tries and is used once.
 */
export async function createChallenge(
  db: Kysely<IdentityDatabase>,
  input: { purpose: ChallengePurpose; userId: string | null; data?: Record<string, unknown>; minutes: number },
  now: Date,
): Promise<string> {
  const token = newSecret();
  await createChallengeFor(db, token, input, now);
  return token;
}

/** Keeps a challenge whose token is given: a WebAuthn ceremony's own challenge, which the browser's answer carries back. */
export async function createChallengeFor(
  db: Kysely<IdentityDatabase>,
  token: string,
  input: { purpose: ChallengePurpose; userId: string | null; data?: Record<string, unknown>; minutes: number },
  now: Date,
): Promise<void> {
  await db.deleteFrom('challenges').where('expires_at', '<', now).execute();
  await db
    .insertInto('challenges')
    .values({
      token_hash: secretHash(token),
      purpose: input.purpose,
      user_id: input.userId,
      data: input.data ?? {},
      created_at: now,
      expires_at: new Date(now.getTime() + input.minutes * 60_000),
    })
    .execute();
}

/** The live challenge a token names for `purpose`, locked for this transaction; undefined when spent or expired. */
export function findChallenge(
  db: Kysely<IdentityDatabase>,
  token: string,
  purpose: ChallengePurpose,
  now: Date,
): Promise<Challenge | undefined> {
  return db
    .selectFrom('challenges')
    .selectAll()
    .where('token_hash', '=', secretHash(token))
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('attempts', '<', challengeAttempts)
    .forUpdate()
    .executeTakeFirst();
}

/** Counts a wrong answer; the challenge is spent after `challengeAttempts`. Returns the tries left. */
export async function failChallenge(db: Kysely<IdentityDatabase>, id: string): Promise<number> {
  const row = await db
    .updateTable('challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  return Math.max(0, challengeAttempts - row.attempts);
}

export async function spendChallenge(db: Kysely<IdentityDatabase>, id: string): Promise<void> {
  await db.deleteFrom('challenges').where('id', '=', id).execute();
}
