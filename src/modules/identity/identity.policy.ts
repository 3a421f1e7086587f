import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import type { Role } from './identity.tables.js';

/**
 * Who may do what in a workspace: small predicates over the actor, called by every route
 * before it touches data. A role includes the ones below it: owner > admin > member > viewer.
 */
const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** The signed-in person of a workspace, as policies see them. */
export type UserActor = Extract<Actor, { kind: 'user' }> & { readonly role: Role };

export const isUser = (actor: Actor): actor is UserActor => actor.kind === 'user' && actor.role in rank;

/** A member of the platform's staff inside the workspace under a support grant. */
export type SupportActor = Extract<Actor, { kind: 'support' }>;
export const isSupport = (actor: Actor): actor is SupportActor => actor.kind === 'support';

/** Support under a grant sees what an admin with a read-only token sees, and changes nothing. */
const supportView: UserActor = { kind: 'user', name: 'support', userId: '', role: 'admin', readOnly: true };

const atLeast = (actor: Actor, role: Role): boolean => isUser(actor) && rank[actor.role] >= rank[role];

export const canRead = (actor: Actor): boolean => atLeast(actor, 'viewer');
export const canWrite = (actor: Actor): boolean => atLeast(actor, 'member') && !(isUser(actor) && actor.readOnly);
export const canManageMembers = (actor: Actor): boolean =>
  atLeast(actor, 'admin') && !(isUser(actor) && actor.readOnly);
/** Changes to one's own account (sessions, tokens, password): a person, but not through a read-only token. */
export const canChangeOwnAccount = (actor: Actor): boolean => isUser(actor) && !actor.readOnly;
/** A workspace's sign-in rules (2FA requirement, IP allow-list, support approval): owners and admins. */
export const canManageSecurity = (actor: Actor): boolean => canManageMembers(actor);
/** What only admins see: the sign-in rules, invitations, support grants, the audit log. */
export const canSeeAdminPages = (actor: Actor): boolean => atLeast(actor, 'admin');
export const canReadAudit = canSeeAdminPages;

/** Gives `role` to someone: admins hand out up to admin, only owners make owners. */
export const canGrantRole = (actor: Actor, role: Role): boolean =>
  canManageMembers(actor) && rank[(actor as UserActor).role] >= rank[role];

/**
 * The signed-in person, or 401, even one who still has to set up a second factor: for the few
 * routes that person needs (who am I, sign out, set up the second factor).
 */
export function requireSignedIn(actor: Actor, what = 'change anything'): UserActor {
  if (isSupport(actor))
    throw appError(
      'FORBIDDEN',
      `You are in this workspace under a support grant, which shows what an admin sees and does not let you ${what}. Ask the workspace's admins to do it.`,
    );
  if (!isUser(actor)) throw appError('UNAUTHENTICATED', 'Sign in first: this needs a session or an API token.');
  return actor;
}

/** The signed-in person, or 401; 403 while the workspace's required second factor is missing. */
export function requireUser(actor: Actor, what?: string): UserActor {
  const user = requireSignedIn(actor, what);
  if (user.mustSetUpTwoFactor)
    throw appError(
      'TWO_FACTOR_SETUP_REQUIRED',
      'This workspace requires two-factor authentication: set up an authenticator app in your account settings first (POST /api/v1/me/totp).',
    );
  return user;
}

/** 401 for nobody, 403 for someone whose role does not allow it. */
export function assertAllowed(
  actor: Actor,
  allowed: (actor: Actor) => boolean,
  what: string,
  options: { duringTwoFactorSetup?: boolean } = {},
): UserActor {
  const user = options.duringTwoFactorSetup ? requireSignedIn(actor, what) : requireUser(actor, what);
  if (!allowed(user))
    throw appError(
      'FORBIDDEN',
      `Your role (${user.role}${user.readOnly ? ', read-only token' : ''}) does not allow you to ${what}.`,
    );
  return user;
}

/**
 * For routes that only show something: a person whose role allows it, or staff under a support
 * grant when a read-only admin would be allowed.
 */
export function assertMaySee(actor: Actor, allowed: (actor: Actor) => boolean, what: string): void {
  if (isSupport(actor) && allowed(supportView)) return;
  assertAllowed(actor, allowed, what);
}
