import type { Kysely, Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { publish, recordActivity } from './work.activity.js';
import type { WorkActor } from './work.policy.js';
import type { ProjectAccess } from './work.projects.js';
import type { FieldKind, ProjectRole, StateGroup, WorkDatabase } from './work.tables.js';

/** A project's settings: its workflow states and rules, labels, custom fields and members. */
export interface StateView {
  readonly id: string;
  readonly name: string;
  readonly group: StateGroup;
  readonly color: string;
  readonly position: number;
  readonly isDefault: boolean;
}
/** The project roles a rule can name (a viewer never moves a task). */
export type RuleRole = 'lead' | 'member';
export interface RuleView {
  readonly fromStateId: string;
  readonly toStateId: string;
  readonly roles: RuleRole[] | null;
}
export interface LabelView {
  readonly id: string;
  readonly name: string;
  readonly color: string;
}
export interface FieldView {
  readonly id: string;
  readonly name: string;
  readonly kind: FieldKind;
  readonly options: string[];
  readonly required: boolean;
  readonly position: number;
}
export interface ProjectMemberView {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly role: ProjectRole;
}

type Db = Kysely<WorkDatabase>;
type Tx = Transaction<WorkDatabase>;

export async function listStates(db: Db, projectId: string): Promise<StateView[]> {
  const rows = await db
    .selectFrom('workflow_states')
    .select(['id', 'name', 'state_group', 'color', 'position', 'is_default'])
    .where('project_id', '=', projectId)
    .orderBy('position')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    group: row.state_group,
    color: row.color,
    position: row.position,
    isDefault: row.is_default,
  }));
}

export async function listRules(db: Db, projectId: string): Promise<RuleView[]> {
  const rows = await db
    .selectFrom('transition_rules')
    .select(['from_state_id', 'to_state_id', 'roles'])
    .where('project_id', '=', projectId)
    .execute();
  return rows.map((row) => ({ fromStateId: row.from_state_id, toStateId: row.to_state_id, roles: row.roles }));
}

export async function listLabels(db: Db, projectId: string): Promise<LabelView[]> {
  return db
    .selectFrom('labels')
    .select(['id', 'name', 'color'])
    .where('project_id', '=', projectId)
    .orderBy('name')
    .execute();
}

export async function listFields(db: Db, projectId: string): Promise<FieldView[]> {
  return db
    .selectFrom('custom_fields')
    .select(['id', 'name', 'kind', 'options', 'required', 'position'])
    .where('project_id', '=', projectId)
    .orderBy('position')
    .execute();
}

export async function listProjectMembers(db: Db, projectId: string): Promise<ProjectMemberView[]> {
  return db
    .selectFrom('project_members')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .select(['users.id as userId', 'users.name', 'users.email', 'project_members.role'])
    .where('project_members.project_id', '=', projectId)
    .where('users.disabled_at', 'is', null)
    .orderBy('users.name')
    .execute();
}

export interface StateInput {
  readonly name?: string | undefined;
  readonly group?: StateGroup | undefined;
  readonly color?: string | undefined;
  readonly position?: number | undefined;
  readonly isDefault?: boolean | undefined;
}

/** Adds a state (at the end unless placed), or changes one; a new default replaces the old one. */
export async function saveState(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  stateId: string | null,
  input: StateInput,
  at: Date,
): Promise<StateView[]> {
  const projectId = access.project.id;
  const states = await listStates(tx, projectId);
  const current = stateId ? states.find((state) => state.id === stateId) : undefined;
  if (stateId && !current) throw appError('NOT_FOUND', 'This project has no such state.');
  const name = input.name ?? current?.name;
  if (states.some((state) => state.id !== stateId && state.name.toLowerCase() === name?.toLowerCase()))
    throw appError('ALREADY_EXISTS', `The project has a state named "${name}" already.`);
  if (input.isDefault)
    await tx.updateTable('workflow_states').set({ is_default: false }).where('project_id', '=', projectId).execute();
  if (current && input.isDefault === false && current.isDefault)
    throw appError(
      'VALIDATION_FAILED',
      'A project always has a default state: make another state the default instead.',
    );
  const values = {
    name: name!,
    state_group: input.group ?? current?.group ?? 'unstarted',
    color: input.color ?? current?.color ?? '#8a8f98',
    is_default: input.isDefault ?? current?.isDefault ?? false,
  };
  let id = stateId;
  if (current) await tx.updateTable('workflow_states').set(values).where('id', '=', current.id).execute();
  else
    id = (
      await tx
        .insertInto('workflow_states')
        .values({ ...values, project_id: projectId, position: states.length })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  if (input.position !== undefined) await placeState(tx, projectId, id!, input.position);
  await recordActivity(
    tx,
    { projectId, taskId: null },
    actor,
    [{ field: 'project.state', before: current ?? null, after: { ...values } }],
    at,
  );
  await publish(tx, projectId, 'project.states', {});
  return listStates(tx, projectId);
}

/** Moves a state to `position` (0-based), renumbering the others in order. */
async function placeState(tx: Tx, projectId: string, stateId: string, position: number): Promise<void> {
  const ids = (await listStates(tx, projectId)).map((state) => state.id).filter((id) => id !== stateId);
  ids.splice(Math.max(0, Math.min(position, ids.length)), 0, stateId);
  for (const [index, id] of ids.entries())
    await tx.updateTable('workflow_states').set({ position: index }).where('id', '=', id).execute();
}

/** Removes a state; its tasks move to `moveTo` (required when it has any). The default state stays. */
export async function deleteState(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  stateId: string,
  moveTo: string | undefined,
  at: Date,
): Promise<void> {
  const projectId = access.project.id;
  const states = await listStates(tx, projectId);
  const state = states.find((candidate) => candidate.id === stateId);
  if (!state) throw appError('NOT_FOUND', 'This project has no such state.');
  if (state.isDefault)
    throw appError(
      'IN_USE',
      `"${state.name}" is the default state for new tasks: make another state the default first.`,
    );
  const { count } = await tx
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('state_id', '=', stateId)
    .executeTakeFirstOrThrow();
  if (Number(count) > 0) {
    const target = states.find((candidate) => candidate.id === moveTo && candidate.id !== stateId);
    if (!target)
      throw appError(
        'IN_USE',
        `${count} task(s) are in "${state.name}": say which state they move to (moveTo), one of ${states
          .filter((s) => s.id !== stateId)
          .map((s) => `"${s.name}"`)
          .join(', ')}.`,
      );
    await tx
      .updateTable('tasks')
      .set((eb) => ({ state_id: target.id, version: eb('version', '+', 1), updated_at: at }))
      .where('state_id', '=', stateId)
      .execute();
  }
  await tx.deleteFrom('workflow_states').where('id', '=', stateId).execute();
  // Renumbers the states left, in their order.
  const first = states.find((candidate) => candidate.id !== stateId);
  if (first) await placeState(tx, projectId, first.id, 0);
  await recordActivity(
    tx,
    { projectId, taskId: null },
    actor,
    [{ field: 'project.state', before: state, after: null }],
    at,
  );
  await publish(tx, projectId, 'project.states', {});
}

/** Replaces the project's transition rules; each names states of this project. */
export async function replaceRules(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  rules: readonly RuleView[],
  at: Date,
): Promise<RuleView[]> {
  const projectId = access.project.id;
  const known = new Set((await listStates(tx, projectId)).map((state) => state.id));
  const unknown = rules.flatMap((rule) => [rule.fromStateId, rule.toStateId]).filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw appError(
      'VALIDATION_FAILED',
      `The rules name states this project does not have: ${[...new Set(unknown)].join(', ')}.`,
    );
  const before = await listRules(tx, projectId);
  await tx.deleteFrom('transition_rules').where('project_id', '=', projectId).execute();
  const distinct = new Map(
    rules
      .filter((rule) => rule.fromStateId !== rule.toStateId)
      .map((rule) => [`${rule.fromStateId}>${rule.toStateId}`, rule]),
  );
  if (distinct.size > 0)
    await tx
      .insertInto('transition_rules')
      .values(
        [...distinct.values()].map((rule) => ({
          project_id: projectId,
          from_state_id: rule.fromStateId,
          to_state_id: rule.toStateId,
          roles: rule.roles && rule.roles.length > 0 ? rule.roles : null,
        })),
      )
      .execute();
  const after = await listRules(tx, projectId);
  await recordActivity(tx, { projectId, taskId: null }, actor, [{ field: 'project.rules', before, after }], at);
  await publish(tx, projectId, 'project.rules', {});
  return after;
}

/** Adds a label, or renames or recolours one. */
export async function saveLabel(
  tx: Tx,
  access: ProjectAccess,
  labelId: string | null,
  input: { name?: string | undefined; color?: string | undefined },
): Promise<LabelView> {
  const projectId = access.project.id;
  const clash = await tx
    .selectFrom('labels')
    .select('id')
    .where('project_id', '=', projectId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', (input.name ?? '').toLowerCase()))
    .executeTakeFirst();
  if (clash && clash.id !== labelId)
    throw appError('ALREADY_EXISTS', `The project has a label "${input.name}" already.`);
  const row = labelId
    ? await tx
        .updateTable('labels')
        .set({ ...(input.name ? { name: input.name } : {}), ...(input.color ? { color: input.color } : {}) })
        .where('id', '=', labelId)
        .where('project_id', '=', projectId)
        .returning(['id', 'name', 'color'])
        .executeTakeFirst()
    : await tx
        .insertInto('labels')
        .values({ project_id: projectId, name: input.name!, color: input.color ?? '#8a8f98' })
        .returning(['id', 'name', 'color'])
        .executeTakeFirst();
  if (!row) throw appError('NOT_FOUND', 'This project has no such label.');
  await publish(tx, projectId, 'project.labels', {});
  return row;
}

export async function deleteLabel(tx: Tx, access: ProjectAccess, labelId: string): Promise<void> {
  const deleted = await tx
    .deleteFrom('labels')
    .where('id', '=', labelId)
    .where('project_id', '=', access.project.id)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw appError('NOT_FOUND', 'This project has no such label.');
  await publish(tx, access.project.id, 'project.labels', {});
}

export interface FieldInput {
  readonly name?: string | undefined;
  readonly kind?: FieldKind | undefined;
  readonly options?: string[] | undefined;
  readonly required?: boolean | undefined;
}

/** Adds a custom field, or changes one (its kind stays: values of one kind do not become another). */
export async function saveField(
  tx: Tx,
  access: ProjectAccess,
  fieldId: string | null,
  input: FieldInput,
): Promise<FieldView[]> {
  const projectId = access.project.id;
  const fields = await listFields(tx, projectId);
  const current = fieldId ? fields.find((field) => field.id === fieldId) : undefined;
  if (fieldId && !current) throw appError('NOT_FOUND', 'This project has no such field.');
  if (current && input.kind && input.kind !== current.kind)
    throw appError(
      'VALIDATION_FAILED',
      `A field keeps its kind (${current.kind}): add a new field of kind ${input.kind} instead.`,
    );
  const name = input.name ?? current!.name;
  if (fields.some((field) => field.id !== fieldId && field.name.toLowerCase() === name.toLowerCase()))
    throw appError('ALREADY_EXISTS', `The project has a field named "${name}" already.`);
  const kind = current?.kind ?? input.kind!;
  const options = input.options ?? current?.options ?? [];
  if ((kind === 'select' || kind === 'multi_select') && options.length === 0)
    throw appError('VALIDATION_FAILED', `A ${kind === 'select' ? 'single' : 'multi'} select field needs its options.`);
  const values = {
    name,
    options: JSON.stringify(kind === 'select' || kind === 'multi_select' ? [...new Set(options)] : []),
    required: input.required ?? current?.required ?? false,
  };
  if (current) await tx.updateTable('custom_fields').set(values).where('id', '=', current.id).execute();
  else
    await tx
      .insertInto('custom_fields')
      .values({ ...values, kind, project_id: projectId, position: fields.length })
      .execute();
  await publish(tx, projectId, 'project.fields', {});
  return listFields(tx, projectId);
}

export async function deleteField(tx: Tx, access: ProjectAccess, fieldId: string): Promise<void> {
  const deleted = await tx
    .deleteFrom('custom_fields')
    .where('id', '=', fieldId)
    .where('project_id', '=', access.project.id)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw appError('NOT_FOUND', 'This project has no such field.');
  await publish(tx, access.project.id, 'project.fields', {});
}

/** Adds a workspace member to the project, or changes their project role. */
export async function setProjectMember(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  userId: string,
  role: ProjectRole,
  at: Date,
): Promise<ProjectMemberView[]> {
  const projectId = access.project.id;
  const user = await tx
    .selectFrom('users')
    .select(['id', 'role'])
    .where('id', '=', userId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!user)
    throw appError(
      'NOT_FOUND',
      'There is no active workspace member with that id: invite them to the workspace first.',
    );
  if (user.role === 'viewer' && role !== 'viewer')
    throw appError(
      'VALIDATION_FAILED',
      'A workspace viewer can only be a viewer of a project: change their workspace role first.',
    );
  const before = await tx
    .selectFrom('project_members')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  await tx
    .insertInto('project_members')
    .values({ project_id: projectId, user_id: userId, role, added_at: at })
    .onConflict((conflict) => conflict.columns(['project_id', 'user_id']).doUpdateSet({ role }))
    .execute();
  await recordActivity(
    tx,
    { projectId, taskId: null },
    actor,
    [{ field: 'project.member', before: before ? { userId, role: before.role } : null, after: { userId, role } }],
    at,
  );
  return listProjectMembers(tx, projectId);
}

export async function removeProjectMember(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  userId: string,
  at: Date,
): Promise<void> {
  const projectId = access.project.id;
  const removed = await tx
    .deleteFrom('project_members')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .returning('role')
    .executeTakeFirst();
  if (!removed) throw appError('NOT_FOUND', 'That person is not a member of this project.');
  await recordActivity(
    tx,
    { projectId, taskId: null },
    actor,
    [{ field: 'project.member', before: { userId, role: removed.role }, after: null }],
    at,
  );
}
