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
export const canReadAudit = (actor: Actor): boolean => atLeast(actor, 'admin');

/** Gives `role` to someone: admins hand out up to admin, only owners make owners. */
export const canGrantRole = (actor: Actor, role: Role): boolean =>
  canManageMembers(actor) && rank[(actor as UserActor).role] >= rank[role];

/** The signed-in person, or 401: for routes that need someone, whatever their role. */
export function requireUser(actor: Actor): UserActor {
  if (!isUser(actor)) throw appError('UNAUTHENTICATED', 'Sign in first: this needs a session or an API token.');
  return actor;
}

/** 401 for nobody, 403 for someone whose role does not allow it. */
export function assertAllowed(actor: Actor, allowed: (actor: Actor) => boolean, what: string): UserActor {
  const user = requireUser(actor);
  if (!allowed(user))
    throw appError(
      'FORBIDDEN',
      `Your role (${user.role}${user.readOnly ? ', read-only token' : ''}) does not allow you to ${what}.`,
    );
  return user;
}
