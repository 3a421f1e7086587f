import { appError } from '../../platform/errors.js';
import type { ProjectRole } from './work.tables.js';

/**
 * Who may do what in a project: a project role on top of the workspace role. Owners and admins
 * lead every project; members and viewers reach the projects they are members of, a workspace
 * viewer never more than as a viewer there. A read-only token reads only, and staff under a
 * support grant see what an admin sees and change nothing. A project one may not see is
 * answered exactly as an unknown one (404).
 */
const rank: Record<ProjectRole, number> = { viewer: 0, member: 1, lead: 2 };

/** The person acting in a project, as work's policies see them. */
export interface WorkActor {
  /** Identity's user id; empty for support (who has none in the workspace). */
  readonly userId: string;
  /** How activity and events name them. */
  readonly name: string;
  readonly workspaceRole: 'owner' | 'admin' | 'member' | 'viewer' | 'support';
  readonly readOnly: boolean;
}

/** The role `actor` has in a project, given their membership row (if any); null: the project is not theirs to see. */
export function projectRoleOf(actor: WorkActor, membership: ProjectRole | undefined): ProjectRole | null {
  if (actor.workspaceRole === 'support') return 'viewer';
  const role: ProjectRole | null =
    actor.workspaceRole === 'owner' || actor.workspaceRole === 'admin'
      ? 'lead'
      : membership === undefined
        ? null
        : actor.workspaceRole === 'viewer'
          ? 'viewer'
          : membership;
  if (role && actor.readOnly) return 'viewer';
  return role;
}

export const canEditTasks = (role: ProjectRole): boolean => rank[role] >= rank.member;
export const canManageProject = (role: ProjectRole): boolean => role === 'lead';
/** Any workspace member (not a viewer, not read-only) starts projects, and leads the ones they start. */
export const canCreateProject = (actor: WorkActor): boolean =>
  !actor.readOnly && ['owner', 'admin', 'member'].includes(actor.workspaceRole);

/** 403 with what the role does not allow (the project itself is visible, so saying so leaks nothing). */
export function assertProjectRole(role: ProjectRole, allowed: (role: ProjectRole) => boolean, what: string): void {
  if (!allowed(role))
    throw appError(
      'FORBIDDEN',
      `Your role in this project (${role}) does not allow you to ${what}.${role === 'viewer' ? ' Ask a project lead to make you a member.' : ''}`,
    );
}

/** A transition rule allows a move for `role` when it names no roles, or names this one (a lead counts as a member too). */
export const ruleAllows = (roles: readonly ProjectRole[] | null, role: ProjectRole): boolean =>
  roles === null || roles.some((allowed) => rank[role] >= rank[allowed]);
