import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { publish, recordActivity } from './work.activity.js';
import { projectRoleOf, type WorkActor } from './work.policy.js';
import type { ProjectRole, StateGroup, WorkDatabase } from './work.tables.js';

/** A project as its people see it, with the role the viewer has in it. */
export interface ProjectView {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly archivedAt: Date | null;
  readonly yourRole: ProjectRole;
}

/** A project reached by someone allowed to see it, with their role there. */
export interface ProjectAccess {
  readonly project: ProjectView;
  readonly role: ProjectRole;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => uuidPattern.test(value);

/** The states a new project starts with: one per group, "Todo" the default for new tasks. */
const defaultStates: ReadonlyArray<{ name: string; group: StateGroup; color: string; isDefault?: boolean }> = [
  { name: 'Backlog', group: 'backlog', color: '#8a8f98' },
  { name: 'Todo', group: 'unstarted', color: '#5e6ad2', isDefault: true },
  { name: 'In Progress', group: 'started', color: '#f2994a' },
  { name: 'Done', group: 'completed', color: '#27ae60' },
  { name: 'Cancelled', group: 'cancelled', color: '#bdbdbd' },
];

export type ProjectRow = {
  id: string;
  key: string;
  name: string;
  description: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
};
const projectColumns = [
  'projects.id',
  'projects.key',
  'projects.name',
  'projects.description',
  'projects.version',
  'projects.created_at',
  'projects.updated_at',
  'projects.archived_at',
] as const;

const present = (row: ProjectRow, role: ProjectRole): ProjectView => ({
  id: row.id,
  key: row.key,
  name: row.name,
  description: row.description,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  archivedAt: row.archived_at,
  yourRole: role,
});

/**
 * "No such project", said the same way for an unknown one and one the person may not see; the
 * reference is not repeated (the path has it), so an answer never carries what was asked for.
 */
/** Projects with the person's membership of each (null where they have none). */
const withMembership = (db: Kysely<WorkDatabase>, actor: WorkActor) =>
  db
    .selectFrom('projects')
    .leftJoin('project_members', (join) =>
      join
        .onRef('project_members.project_id', '=', 'projects.id')
        .on('project_members.user_id', '=', actor.userId || null),
    )
    .select([...projectColumns, 'project_members.role as membership']);

export const noSuchProject = (): Error =>
  appError('NOT_FOUND', 'There is no such project here, or you are not a member of it. Check the project key.');

/**
 * The project by key (OPS) or id, and the viewer's role in it; 404 when unknown or not theirs.
 * `lock` takes the row for update: changes to one project's settings queue behind each other.
 */
export async function reachProject(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  ref: string,
  options: { lock?: boolean } = {},
): Promise<ProjectAccess> {
  let query = withMembership(db, actor).where(
    isUuid(ref) ? 'projects.id' : 'projects.key',
    '=',
    isUuid(ref) ? ref : ref.toUpperCase(),
  );
  if (options.lock) query = query.forUpdate('projects');
  const access = accessOf(actor, await query.executeTakeFirst());
  if (!access) throw noSuchProject();
  return access;
}

/** A project read with the reader's membership of it. */
export type ProjectWithMembership = ProjectRow & { membership: ProjectRole | null };

/** A project's columns read beside a row of another table (its task's), each under `p_`, with the reader's membership. */
export interface ProjectBeside {
  project_id: string;
  p_key: string;
  p_name: string;
  p_description: string;
  p_version: number;
  p_created_at: Date;
  p_updated_at: Date;
  p_archived_at: Date | null;
  p_membership: ProjectRole | null;
}

/** Splits a row read with its project beside it into the project and the rest of the row. */
export function splitProject<R extends ProjectBeside>(
  found: R,
): { project: ProjectWithMembership; rest: Omit<R, Exclude<keyof ProjectBeside, 'project_id'>> } {
  const { p_key, p_name, p_description, p_version, p_created_at, p_updated_at, p_archived_at, p_membership, ...rest } =
    found;
  return {
    project: {
      id: found.project_id,
      key: p_key,
      name: p_name,
      description: p_description,
      version: p_version,
      created_at: p_created_at,
      updated_at: p_updated_at,
      archived_at: p_archived_at,
      membership: p_membership,
    },
    rest,
  };
}

/** The person's access to a project read with their membership; undefined when there is none or they may not see it. */
export function accessOf(actor: WorkActor, row: ProjectWithMembership | undefined): ProjectAccess | undefined {
  const role = row ? projectRoleOf(actor, row.membership ?? undefined) : null;
  return row && role ? { project: present(row, role), role } : undefined;
}

/**
 * The ids of the projects `actor` may see, as a subquery for a statement that reads their tasks:
 * the one named by `ref` (key or id, archived or not), or all that are not archived. The same
 * rule as projectRoleOf: owners, admins and support see every project, others those they are
 * members of.
 */
export function visibleProjectIds(actor: WorkActor, ref?: string): RawBuilder<string> {
  // Callers compare with = (subquery) or = ANY(ARRAY(subquery)): a parameter the planner can
  // read an index with, where IN (subquery) became a join that sorted every task of the project.
  const seesAll = ['owner', 'admin', 'support'].includes(actor.workspaceRole);
  const which =
    ref === undefined
      ? sql`p.archived_at IS NULL`
      : isUuid(ref)
        ? sql`p.id = ${ref}`
        : sql`p.key = ${ref.toUpperCase()}`;
  const theirs = seesAll
    ? sql`true`
    : sql`EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = ${actor.userId || null})`;
  return sql<string>`SELECT p.id FROM projects p WHERE ${which} AND ${theirs}`;
}

/** The projects the person may see, by key; archived ones only when asked. */
export async function listProjects(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  includeArchived: boolean,
): Promise<ProjectView[]> {
  let query = withMembership(db, actor).orderBy('projects.key');
  if (!includeArchived) query = query.where('projects.archived_at', 'is', null);
  const rows = await query.execute();
  return rows.flatMap((row) => {
    const role = projectRoleOf(actor, row.membership ?? undefined);
    return role ? [present(row, role)] : [];
  });
}

export interface NewProject {
  readonly key: string;
  readonly name: string;
  readonly description?: string | undefined;
}

/** Makes a project with the default workflow; its maker leads it. */
export async function createProject(
  tx: Transaction<WorkDatabase>,
  actor: WorkActor,
  input: NewProject,
  at: Date,
): Promise<ProjectView> {
  const key = input.key.toUpperCase();
  const taken = await tx.selectFrom('projects').select('id').where('key', '=', key).executeTakeFirst();
  if (taken)
    throw appError(
      'ALREADY_EXISTS',
      `A project with the key ${key} exists already (perhaps archived): choose another key.`,
    );
  const row = await tx
    .insertInto('projects')
    .values({
      key,
      name: input.name,
      description: input.description ?? '',
      created_by: actor.userId || null,
      created_at: at,
      updated_at: at,
    })
    .returning(projectColumns.map((column) => column.replace('projects.', '') as 'id'))
    .executeTakeFirstOrThrow();
  const project = row as unknown as ProjectRow;
  await tx
    .insertInto('workflow_states')
    .values(
      defaultStates.map((state, position) => ({
        project_id: project.id,
        name: state.name,
        state_group: state.group,
        color: state.color,
        position,
        is_default: state.isDefault ?? false,
      })),
    )
    .execute();
  if (actor.userId)
    await tx
      .insertInto('project_members')
      .values({ project_id: project.id, user_id: actor.userId, role: 'lead', added_at: at })
      .execute();
  await recordActivity(
    tx,
    { projectId: project.id, taskId: null },
    actor,
    [{ field: 'project', before: null, after: key }],
    at,
  );
  return present(project, 'lead');
}

export interface ProjectChanges {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly archived?: boolean | undefined;
}

/** Renames, redescribes, archives or restores a project, if it is still the version the person read. */
export async function updateProject(
  tx: Transaction<WorkDatabase>,
  actor: WorkActor,
  access: ProjectAccess,
  changes: ProjectChanges,
  expectedVersion: number,
  at: Date,
): Promise<ProjectView> {
  assertVersion('project', access.project.version, expectedVersion);
  const before = access.project;
  const archivedAt =
    changes.archived === undefined ? before.archivedAt : changes.archived ? (before.archivedAt ?? at) : null;
  const row = await tx
    .updateTable('projects')
    .set({
      name: changes.name ?? before.name,
      description: changes.description ?? before.description,
      archived_at: archivedAt,
      version: before.version + 1,
      updated_at: at,
    })
    .where('id', '=', before.id)
    .returning(projectColumns.map((column) => column.replace('projects.', '') as 'id'))
    .executeTakeFirstOrThrow();
  const after = present(row as unknown as ProjectRow, access.role);
  const changed = (['name', 'description', 'archivedAt'] as const).filter(
    (field) => String(before[field]) !== String(after[field]),
  );
  await recordActivity(
    tx,
    { projectId: before.id, taskId: null },
    actor,
    changed.map((field) => ({ field: `project.${field}`, before: before[field], after: after[field] })),
    at,
  );
  await publish(tx, before.id, 'project.updated', { version: after.version });
  return after;
}

/** 412 when what the person read is not what is there now: they would overwrite a change unseen. */
export function assertVersion(what: string, current: number, expected: number): void {
  if (current !== expected)
    throw appError(
      'EDIT_CONFLICT',
      `This ${what} was changed by someone else since you read it (you read version ${expected}, it is now version ${current}). Read it again, then make your change.`,
      { extensions: { currentVersion: current } },
    );
}
