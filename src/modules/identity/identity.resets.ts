import type { Kysely } from 'kysely';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import { endSessions } from './identity.sessions.js';
import type { IdentityDatabase } from './identity.tables.js';
import { newSecret, secretHash } from './identity.tokens.js';

/** How long a reset link stays good (OWASP: short; ASVS: single use). */
export const resetMinutes = 30;

interface Context {
  readonly ip?: string | undefined;
  readonly at: Date;
}

/** Who asked for a link and how long it lasts: a person by mail (30 minutes), or an operator handing it over (longer). */
export interface ResetRequest extends Context {
  readonly actor?: string;
  readonly minutes?: number;
}

/**
 * Starts a password reset for `email`. When the address has a live account, returns a fresh
 * single-use token (stored as its hash; earlier open links for the account stop working);
 * otherwise returns undefined. Either way the request is audited, so the caller's answer must not
 * differ: it never says whether the address has an account.
 */
export async function startReset(
  db: Kysely<IdentityDatabase>,
  email: string,
  context: ResetRequest,
): Promise<{ token: string; name: string } | undefined> {
  return db.transaction().execute(async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select(['id', 'name'])
      .where('email', '=', email)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    await appendAudit(
      tx,
      {
        actor: context.actor ?? 'anonymous',
        action: 'password.reset_requested',
        target: email,
        ip: context.ip,
        detail: { account: Boolean(user), minutes: context.minutes ?? resetMinutes },
      },
      context.at,
    );
    if (!user) return undefined;
    await tx
      .updateTable('password_resets')
      .set({ used_at: context.at })
      .where('user_id', '=', user.id)
      .where('used_at', 'is', null)
      .execute();
    const token = newSecret();
    await tx
      .insertInto('password_resets')
      .values({
        user_id: user.id,
        token_hash: secretHash(token),
        created_at: context.at,
        expires_at: new Date(context.at.getTime() + (context.minutes ?? resetMinutes) * 60_000),
      })
      .execute();
    return { token, name: user.name };
  });
}

/**
 * Sets a new password (already checked and hashed) with a reset token, once. Every session of the
 * account ends and its failed sign-ins are forgotten. Returns the address, for the caller to say so.
 */
export async function finishReset(
  db: Kysely<IdentityDatabase>,
  input: { token: string; passwordHash: string },
  context: Context,
): Promise<{ email: string; userId: string }> {
  return db.transaction().execute(async (tx) => {
    const reset = await tx
      .updateTable('password_resets')
      .set({ used_at: context.at })
      .where('token_hash', '=', secretHash(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', context.at)
      .returning('user_id')
      .executeTakeFirst();
    const user =
      reset &&
      (await tx
        .updateTable('users')
        .set({ password_hash: input.passwordHash, password_changed_at: context.at })
        .where('id', '=', reset.user_id)
        .where('disabled_at', 'is', null)
        .returning(['id', 'email'])
        .executeTakeFirst());
    if (!user)
      throw appError(
        'RESET_INVALID',
        'This link to choose a password is not valid: it was used already, replaced by a newer one, or it expired. Ask for a new one.',
      );
    await endSessions(tx, user.id, context.at);
    await tx.deleteFrom('sign_in_failures').where('email', '=', user.email).execute();
    await appendAudit(
      tx,
      { actor: `user:${user.email}`, action: 'password.reset', target: user.email, ip: context.ip },
      context.at,
    );
    return { email: user.email, userId: user.id };
  });
}
