import { sql, type Kysely } from 'kysely';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import { canGrantRole, type UserActor } from './identity.policy.js';
import { endSessions } from './identity.sessions.js';
import type { IdentityDatabase, Role } from './identity.tables.js';

/** A member of a workspace as its people see them. */
export interface MemberView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

const columns = ['id', 'email', 'name', 'role', 'created_at'] as const;
const present = (row: { id: string; email: string; name: string; role: Role; created_at: Date }): MemberView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
});

/**
 * Makes an account (a password hash, when given, already checked and made), or throws what
 * `taken` returns when the address has one: the one insert behind an operator's, an admin's and
 * an invitation's new member.
 */
export async function insertUser(
  tx: Kysely<IdentityDatabase>,
  input: { email: string; name: string; role: Role; passwordHash: string | null },
  at: Date,
  taken: () => Error,
): Promise<MemberView> {
  const existing = await tx.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst();
  if (existing) throw taken();
  const row = await tx
    .insertInto('users')
    .values({
      email: input.email,
      name: input.name,
      role: input.role,
      password_hash: input.passwordHash,
      password_changed_at: input.passwordHash ? at : null,
      created_at: at,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return present(row);
}

export async function listMembers(db: Kysely<IdentityDatabase>): Promise<MemberView[]> {
  const rows = await db.selectFrom('users').select(columns).where('disabled_at', 'is', null).orderBy('email').execute();
  return rows.map(present);
}

/**
 * Gives a member another role. An admin hands out roles up to admin and changes no owner; only an
 * owner makes or unmakes owners; the last owner cannot step down (a workspace always has one).
 * Locked against concurrent changes so two owners demoting each other cannot leave none.
 */
export async function changeRole(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  memberId: string,
  role: Role,
  context: { ip?: string | undefined; at: Date },
): Promise<MemberView> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('steadfast.owners'))`.execute(tx);
    const member = await findMember(tx, memberId);
    if (!canGrantRole(actor, role) || !canGrantRole(actor, member.role))
      throw appError(
        'FORBIDDEN',
        `Your role (${actor.role}) cannot ${member.role === 'owner' || role === 'owner' ? 'make or unmake owners' : `give the role ${role}`}; an owner can.`,
      );
    if (member.role === 'owner' && role !== 'owner') await assertNotLastOwner(tx, member.email, 'step down');
    const row = await tx
      .updateTable('users')
      .set({ role })
      .where('id', '=', memberId)
      .returning(columns)
      .executeTakeFirstOrThrow();
    await appendAudit(
      tx,
      {
        actor: `user:${actor.name}`,
        action: 'user.role_changed',
        target: member.email,
        ip: context.ip,
        detail: { from: member.role, to: role },
      },
      context.at,
    );
    return present(row);
  });
}

/** Removes a member from the workspace: the account is disabled (its audit trail stays) and its sessions and tokens end. */
export async function removeMember(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  memberId: string,
  context: { ip?: string | undefined; at: Date },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('steadfast.owners'))`.execute(tx);
    const member = await findMember(tx, memberId);
    if (!canGrantRole(actor, member.role))
      throw appError('FORBIDDEN', `Your role (${actor.role}) cannot remove an ${member.role}; an owner can.`);
    if (member.role === 'owner') await assertNotLastOwner(tx, member.email, 'be removed');
    await tx.updateTable('users').set({ disabled_at: context.at }).where('id', '=', memberId).execute();
    await endSessions(tx, memberId, context.at);
    await tx
      .updateTable('api_tokens')
      .set({ revoked_at: context.at })
      .where('user_id', '=', memberId)
      .where('revoked_at', 'is', null)
      .execute();
    await appendAudit(
      tx,
      {
        actor: `user:${actor.name}`,
        action: 'user.removed',
        target: member.email,
        ip: context.ip,
        detail: { role: member.role },
      },
      context.at,
    );
  });
}

/**
 * Takes away a member's second factors (authenticator app, recovery codes, passkeys) when they
 * lost them: their sessions end, and they sign in with their password alone, then set a factor
 * up again (at once, if the workspace requires one). Admins do it for roles up to admin, owners
 * for anyone; nobody for themselves (they still hold a factor to remove it with).
 */
export async function resetSecondFactors(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  memberId: string,
  context: { ip?: string | undefined; at: Date },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const member = await findMember(tx, memberId);
    if (member.id === actor.userId)
      throw appError(
        'FORBIDDEN',
        'Remove your own second factors from your account page, where your password confirms it.',
      );
    if (!canGrantRole(actor, member.role))
      throw appError(
        'FORBIDDEN',
        `Your role (${actor.role}) cannot reset the second factors of an ${member.role}; an owner can.`,
      );
    await tx
      .updateTable('users')
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
      .where('id', '=', memberId)
      .execute();
    await tx.deleteFrom('recovery_codes').where('user_id', '=', memberId).execute();
    const passkeys = await tx.deleteFrom('passkeys').where('user_id', '=', memberId).returning('id').execute();
    await endSessions(tx, memberId, context.at);
    await appendAudit(
      tx,
      {
        actor: `user:${actor.name}`,
        action: 'two_factor.reset',
        target: member.email,
        ip: context.ip,
        detail: { passkeysRemoved: passkeys.length },
      },
      context.at,
    );
  });
}

async function findMember(db: Kysely<IdentityDatabase>, memberId: string) {
  const member = await db
    .selectFrom('users')
    .select(['id', 'email', 'role'])
    .where('id', '=', memberId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!member) throw appError('NOT_FOUND', 'This workspace has no member with that id.');
  return member;
}

async function assertNotLastOwner(db: Kysely<IdentityDatabase>, email: string, what: string): Promise<void> {
  const { n } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(n) <= 1)
    throw appError(
      'LAST_OWNER',
      `${email} is the last owner of this workspace and cannot ${what}: make someone else an owner first.`,
    );
}
