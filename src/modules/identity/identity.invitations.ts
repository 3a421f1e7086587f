import type { Kysely } from 'kysely';
import { appError } from '../../platform/errors.js';
import { appendAudit } from './identity.audit.js';
import { insertUser } from './identity.members.js';
import { canGrantRole, type UserActor } from './identity.policy.js';
import type { IdentityDatabase, Role } from './identity.tables.js';
import { newSecret, secretHash } from './identity.tokens.js';

/** How long an invitation link stays good. */
export const invitationDays = 7;

export interface InvitationView {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly invitedBy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

interface Context {
  readonly ip?: string | undefined;
  readonly at: Date;
}

/**
 * Invites `email` with `role`: a single-use link good for seven days, its token returned this
 * once and stored as a hash. Inviting an address again replaces its open invitation (the old link
 * stops working). Admins invite up to admin; only owners invite owners.
 */
export async function invite(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  input: { email: string; role: Role },
  context: Context,
): Promise<{ token: string; view: InvitationView }> {
  if (!canGrantRole(actor, input.role))
    throw appError('FORBIDDEN', `Your role (${actor.role}) cannot invite someone as ${input.role}; an owner can.`);
  return db.transaction().execute(async (tx) => {
    const member = await tx
      .selectFrom('users')
      .select(['disabled_at'])
      .where('email', '=', input.email)
      .executeTakeFirst();
    if (member)
      throw appError(
        'ALREADY_MEMBER',
        member.disabled_at
          ? `${input.email} was removed from this workspace; its account stays for the audit trail, so invite another address.`
          : `${input.email} is already a member of this workspace.`,
      );
    await tx
      .updateTable('invitations')
      .set({ revoked_at: context.at })
      .where('email', '=', input.email)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();
    const token = newSecret();
    const row = await tx
      .insertInto('invitations')
      .values({
        email: input.email,
        role: input.role,
        token_hash: secretHash(token),
        invited_by: actor.userId,
        created_at: context.at,
        expires_at: new Date(context.at.getTime() + invitationDays * 86_400_000),
      })
      .returning(['id', 'email', 'role', 'created_at', 'expires_at'])
      .executeTakeFirstOrThrow();
    await appendAudit(
      tx,
      {
        actor: `user:${actor.name}`,
        action: 'invitation.created',
        target: input.email,
        ip: context.ip,
        detail: { role: input.role, invitationId: row.id },
      },
      context.at,
    );
    return {
      token,
      view: {
        id: row.id,
        email: row.email,
        role: row.role,
        invitedBy: actor.name,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      },
    };
  });
}

/** Open invitations (not accepted, revoked or expired), newest first. */
export async function listInvitations(db: Kysely<IdentityDatabase>, now: Date): Promise<InvitationView[]> {
  const rows = await db
    .selectFrom('invitations')
    .leftJoin('users', 'users.id', 'invitations.invited_by')
    .select([
      'invitations.id',
      'invitations.email',
      'invitations.role',
      'users.email as invitedBy',
      'invitations.created_at',
      'invitations.expires_at',
    ])
    .where('invitations.accepted_at', 'is', null)
    .where('invitations.revoked_at', 'is', null)
    .where('invitations.expires_at', '>', now)
    .orderBy('invitations.created_at', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: row.role,
    invitedBy: row.invitedBy,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }));
}

/** Withdraws an open invitation; its link stops working. */
export async function revokeInvitation(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  id: string,
  context: Context,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('invitations')
      .set({ revoked_at: context.at })
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .returning(['email', 'role'])
      .executeTakeFirst();
    if (!row) throw appError('NOT_FOUND', 'This workspace has no open invitation with that id.');
    await appendAudit(
      tx,
      {
        actor: `user:${actor.name}`,
        action: 'invitation.revoked',
        target: row.email,
        ip: context.ip,
        detail: { role: row.role, invitationId: id },
      },
      context.at,
    );
  });
}

const unusable = () =>
  appError(
    'INVITATION_INVALID',
    'This invitation link is not valid: it was used already, withdrawn, replaced by a newer one, or it expired. Ask an admin of the workspace for a new one.',
  );

/** What an invitation link offers (address and role), for the page that accepts it. */
export async function openInvitation(
  db: Kysely<IdentityDatabase>,
  token: string,
  now: Date,
): Promise<{ id: string; email: string; role: Role }> {
  const row = await db
    .selectFrom('invitations')
    .select(['id', 'email', 'role'])
    .where('token_hash', '=', secretHash(token))
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) throw unusable();
  return row;
}

/**
 * Accepts an invitation: makes the account with the invited address and role and the chosen
 * name and password (already checked for strength and hashed), once. Returns the new user's id.
 * Run it in the transaction that also starts the new member's session.
 */
export async function acceptInvitation(
  tx: Kysely<IdentityDatabase>,
  input: { token: string; name: string; passwordHash: string },
  context: Context,
): Promise<{ userId: string; email: string; role: Role }> {
  const invitation = await tx
    .updateTable('invitations')
    .set({ accepted_at: context.at })
    .where('token_hash', '=', secretHash(input.token))
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', context.at)
    .returning(['id', 'email', 'role'])
    .executeTakeFirst();
  if (!invitation) throw unusable();
  const user = await insertUser(
    tx,
    { email: invitation.email, name: input.name, role: invitation.role, passwordHash: input.passwordHash },
    context.at,
    () => appError('ALREADY_MEMBER', `${invitation.email} is already a member of this workspace. Sign in.`),
  );
  await appendAudit(
    tx,
    {
      actor: `user:${invitation.email}`,
      action: 'invitation.accepted',
      target: invitation.email,
      ip: context.ip,
      detail: { role: invitation.role, invitationId: invitation.id },
    },
    context.at,
  );
  return { userId: user.id, email: invitation.email, role: invitation.role };
}
