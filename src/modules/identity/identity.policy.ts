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

const atLeast = (actor: Actor, role: Role): boolean => isUser(actor) && rank[actor.role] >= rank[role];

export const canRead = (actor: Actor): boolean => atLeast(actor, 'viewer');
export const canWrite = (actor: Actor): boolean => atLeast(actor, 'member') && !(isUser(actor) && actor.readOnly);
export const canManageMembers = (actor: Actor): boolean =>
  atLeast(actor, 'admin') && !(isUser(actor) && actor.readOnly);
/** Changes to one's own account (sessions, tokens, password): a person, but not through a read-only token. */
export const canChangeOwnAccount = (actor: Actor): boolean => isUser(actor) && !actor.readOnly;
/** A workspace's sign-in rules (2FA requirement, IP allow-list): owners and admins. */
export const canManageSecurity = (actor: Actor): boolean => canManageMembers(actor);
export const canReadAudit = (actor: Actor): boolean => atLeast(actor, 'admin');

/** Gives `role` to someone: admins hand out up to admin, only owners make owners. */
export const canGrantRole = (actor: Actor, role: Role): boolean =>
  canManageMembers(actor) && rank[(actor as UserActor).role] >= rank[role];

/**
 * The signed-in person, or 401, even one who still has to set up a second factor: for the few
 * routes that person needs (who am I, sign out, set up the second factor).
 */
export function requireSignedIn(actor: Actor): UserActor {
  if (!isUser(actor)) throw appError('UNAUTHENTICATED', 'Sign in first: this needs a session or an API token.');
  return actor;
}

/** The signed-in person, or 401; 403 while the workspace's required second factor is missing. */
export function requireUser(actor: Actor): UserActor {
  const user = requireSignedIn(actor);
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
  const user = options.duringTwoFactorSetup ? requireSignedIn(actor) : requireUser(actor);
  if (!allowed(user))
    throw appError(
      'FORBIDDEN',
      `Your role (${user.role}${user.readOnly ? ', read-only token' : ''}) does not allow you to ${what}.`,
    );
  return user;
}
