import { sql, type Kysely, type Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { diff, publish, recordActivity, type Change } from './work.activity.js';
import { checkFieldValues } from './work.fields.js';
import { notify, watchersOf } from './work.notifications.js';
import { assertProjectRole, canEditTasks, ruleAllows, type WorkActor } from './work.policy.js';
import { accessOf, assertVersion, isUuid, splitProject, type ProjectAccess } from './work.projects.js';
import { listFields, listRules, listStates, type StateView } from './work.settings.js';
import { findDetail, taskColumns, type TaskDetail, type TaskRow, type TaskView, viewsOf } from './work.task-views.js';
import type { Priority, RelationKind, WorkDatabase } from './work.tables.js';

type Tx = Transaction<WorkDatabase>;

/** What a task is made with or changed to; absent fields stay, `null` clears one. */
export interface TaskInput {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly stateId?: string | undefined;
  readonly priority?: Priority | undefined;
  readonly startDate?: string | null | undefined;
  readonly dueDate?: string | null | undefined;
  readonly estimate?: number | null | undefined;
  /** The parent's key or id, in the same project. */
  readonly parent?: string | null | undefined;
  readonly assigneeIds?: string[] | undefined;
  readonly labelIds?: string[] | undefined;
  readonly fields?: Record<string, unknown> | undefined;
  /** Place on the board within its state (smaller is higher). */
  readonly position?: number | undefined;
}

const taskKeyPattern = /^([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})$/;

/** "No such task", the same for an unknown one and one in a project the person may not see. */
export const noSuchTask = (): Error =>
  appError(
    'NOT_FOUND',
    'There is no such task here, or it is in a project you are not a member of. Check the task key.',
  );

/** The task by key (OPS-42) or id, with its row locked when it is to change. */
export async function findTask(db: Kysely<WorkDatabase>, ref: string, lock = false): Promise<TaskRow | undefined> {
  const byKey = taskKeyPattern.exec(ref);
  if (!byKey && !isUuid(ref)) return undefined;
  let query = db.selectFrom('tasks').select(taskColumns('tasks'));
  query = byKey
    ? query
        .innerJoin('projects', 'projects.id', 'tasks.project_id')
        .where('projects.key', '=', byKey[1]!.toUpperCase())
        .where('tasks.number', '=', Number(byKey[2]))
    : query.where('tasks.id', '=', ref);
  if (lock) query = query.forUpdate('tasks');
  return query.executeTakeFirst();
}

/**
 * The task and the person's access to its project, read together; 404 alike for unknown tasks
 * and tasks of projects they may not see.
 */
export async function reachTask(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  ref: string,
  lock = false,
): Promise<{ row: TaskRow; access: ProjectAccess }> {
  const byKey = taskKeyPattern.exec(ref);
  if (!byKey && !isUuid(ref)) throw noSuchTask();
  let query = db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .leftJoin('project_members', (join) =>
      join
        .onRef('project_members.project_id', '=', 'projects.id')
        .on('project_members.user_id', '=', actor.userId || null),
    )
    .select(taskColumns('tasks'))
    .select([
      'projects.key as p_key',
      'projects.name as p_name',
      'projects.description as p_description',
      'projects.version as p_version',
      'projects.created_at as p_created_at',
      'projects.updated_at as p_updated_at',
      'projects.archived_at as p_archived_at',
      'project_members.role as p_membership',
    ]);
  query = byKey
    ? query.where('projects.key', '=', byKey[1]!.toUpperCase()).where('tasks.number', '=', Number(byKey[2]))
    : query.where('tasks.id', '=', ref);
  if (lock) query = query.forUpdate('tasks');
  const found = await query.executeTakeFirst();
  if (!found) throw noSuchTask();
  const { project, rest: row } = splitProject(found);
  const access = accessOf(actor, project);
  if (!access) throw noSuchTask();
  return { row, access };
}

/** The task's page, read with the person's access to its project in one statement; 404 alike for unknown and hidden tasks. */
export async function reachTaskDetail(db: Kysely<WorkDatabase>, actor: WorkActor, ref: string): Promise<TaskDetail> {
  const byKey = taskKeyPattern.exec(ref);
  if (!byKey && !isUuid(ref)) throw noSuchTask();
  const where = byKey ? sql`p.key = ${byKey[1]!.toUpperCase()} AND t.number = ${Number(byKey[2])}` : sql`t.id = ${ref}`;
  const found = await findDetail(db, where, actor.userId || null);
  if (!found || !accessOf(actor, found.project)) throw noSuchTask();
  return found.detail;
}

/** Makes a task in the project: numbered next (the project row is locked while it takes its number), placed at the bottom of its state. */
export async function createTask(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  input: TaskInput & { title: string },
  at: Date,
): Promise<TaskView> {
  assertProjectRole(access.role, canEditTasks, 'create tasks');
  const projectId = access.project.id;
  const states = await listStates(tx, projectId);
  const state = input.stateId ? stateIn(states, input.stateId) : states.find((candidate) => candidate.isDefault)!;
  const { number } = await tx
    .updateTable('projects')
    .set((eb) => ({ next_number: eb('next_number', '+', 1) }))
    .where('id', '=', projectId)
    .returning('next_number as number')
    .executeTakeFirstOrThrow();
  const parentId = input.parent ? await parentIn(tx, projectId, input.parent, null) : null;
  const fields = checkFieldValues(await listFields(tx, projectId), input.fields ?? {}, {}, await activeUsers(tx), true);
  const { bottom } = await tx
    .selectFrom('tasks')
    .select(sql<number>`coalesce(max(position), 0) + 1024`.as('bottom'))
    .where('state_id', '=', state.id)
    .executeTakeFirstOrThrow();
  const row = await tx
    .insertInto('tasks')
    .values({
      project_id: projectId,
      number: number - 1,
      title: input.title,
      description: input.description ?? '',
      state_id: state.id,
      priority: input.priority ?? 'none',
      start_date: input.startDate ?? null,
      due_date: input.dueDate ?? null,
      estimate: input.estimate ?? null,
      parent_id: parentId,
      position: input.position ?? bottom,
      fields: JSON.stringify(fields),
      created_by: actor.userId || null,
      created_at: at,
      updated_at: at,
      completed_at: state.group === 'completed' ? at : null,
    })
    .returning(taskColumns('tasks'))
    .executeTakeFirstOrThrow();
  await setAssignees(tx, row.id, input.assigneeIds ?? [], true);
  await setLabels(tx, projectId, row.id, input.labelIds ?? [], true);
  await watch(tx, row.id, [actor.userId, ...(input.assigneeIds ?? [])]);
  const [view] = await viewsOf(tx, [row]);
  await recordActivity(
    tx,
    { projectId, taskId: row.id },
    actor,
    [{ field: 'created', before: null, after: view!.key }],
    at,
  );
  await notify(tx, { recipients: input.assigneeIds ?? [], actor, task: view!, kind: 'assigned', at });
  await publish(tx, projectId, 'task.created', { task: view });
  return view!;
}

/**
 * Changes a task if it is still the version the person read. A move to another state must be
 * allowed by the project's transition rules; every changed field is recorded with its value
 * before and after.
 */
export async function updateTask(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: TaskRow,
  input: TaskInput,
  expectedVersion: number,
  at: Date,
): Promise<TaskView> {
  assertProjectRole(access.role, canEditTasks, 'change tasks');
  assertVersion('task', row.version, expectedVersion);
  const projectId = access.project.id;
  const [before] = await viewsOf(tx, [row]);
  const states = await listStates(tx, projectId);
  const state = input.stateId ? stateIn(states, input.stateId) : undefined;
  if (state && state.id !== row.state_id) await assertMoveAllowed(tx, access, before!, state, states);
  const fields =
    input.fields === undefined
      ? row.fields
      : checkFieldValues(await listFields(tx, projectId), input.fields, row.fields, await activeUsers(tx), false);
  const parentId =
    input.parent === undefined
      ? row.parent_id
      : input.parent === null
        ? null
        : await parentIn(tx, projectId, input.parent, row.id);
  const completed = state ? (state.group === 'completed' ? (row.completed_at ?? at) : null) : row.completed_at;
  const updated = await tx
    .updateTable('tasks')
    .set({
      title: input.title ?? row.title,
      description: input.description ?? row.description,
      state_id: state?.id ?? row.state_id,
      priority: input.priority ?? row.priority,
      start_date: input.startDate === undefined ? row.start_date : input.startDate,
      due_date: input.dueDate === undefined ? row.due_date : input.dueDate,
      estimate: input.estimate === undefined ? (row.estimate === null ? null : Number(row.estimate)) : input.estimate,
      parent_id: parentId,
      position: input.position ?? row.position,
      fields: JSON.stringify(fields),
      version: row.version + 1,
      updated_at: at,
      completed_at: completed,
    })
    .where('id', '=', row.id)
    .returning(taskColumns('tasks'))
    .executeTakeFirstOrThrow();
  if (input.assigneeIds) {
    await setAssignees(tx, row.id, input.assigneeIds);
    await watch(tx, row.id, input.assigneeIds);
  }
  if (input.labelIds) await setLabels(tx, projectId, row.id, input.labelIds);
  const [after] = await viewsOf(tx, [updated]);
  await recordActivity(tx, { projectId, taskId: row.id }, actor, changesOf(before!, after!), at);
  await tellPeople(tx, actor, before!, after!, at);
  await publish(tx, projectId, 'task.updated', { task: after });
  return after!;
}

/** Deletes a task (its comments and history with it; its subtasks stay, without a parent). */
export async function deleteTask(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: TaskRow,
  expectedVersion: number,
  at: Date,
): Promise<void> {
  assertProjectRole(access.role, canEditTasks, 'delete tasks');
  assertVersion('task', row.version, expectedVersion);
  const key = `${access.project.key}-${row.number}`;
  await tx.deleteFrom('tasks').where('id', '=', row.id).execute();
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: null },
    actor,
    [{ field: 'deleted', before: { key, title: row.title }, after: null }],
    at,
  );
  await publish(tx, access.project.id, 'task.deleted', { taskId: row.id, key });
}

/** Relates two tasks of the workspace (blocks, relates to, duplicates); once is enough either way for the symmetric kinds. */
export async function relate(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: TaskRow,
  kind: RelationKind,
  other: TaskRow,
  at: Date,
): Promise<void> {
  assertProjectRole(access.role, canEditTasks, 'relate tasks');
  if (other.id === row.id) throw appError('VALIDATION_FAILED', 'A task cannot be related to itself.');
  const existing = await tx
    .selectFrom('task_relations')
    .select('kind')
    .where('kind', '=', kind)
    .where((eb) =>
      eb.or([
        eb.and([eb('task_id', '=', row.id), eb('related_id', '=', other.id)]),
        eb.and([eb('task_id', '=', other.id), eb('related_id', '=', row.id)]),
      ]),
    )
    .executeTakeFirst();
  if (existing) return;
  await tx.insertInto('task_relations').values({ task_id: row.id, related_id: other.id, kind }).execute();
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: row.id },
    actor,
    [{ field: `relation.${kind}`, before: null, after: other.id }],
    at,
  );
}

export async function unrelate(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: TaskRow,
  otherId: string,
  at: Date,
): Promise<void> {
  assertProjectRole(access.role, canEditTasks, 'relate tasks');
  const removed = await tx
    .deleteFrom('task_relations')
    .where((eb) =>
      eb.or([
        eb.and([eb('task_id', '=', row.id), eb('related_id', '=', otherId)]),
        eb.and([eb('task_id', '=', otherId), eb('related_id', '=', row.id)]),
      ]),
    )
    .returning('kind')
    .execute();
  if (removed.length === 0) throw appError('NOT_FOUND', 'These tasks are not related.');
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: row.id },
    actor,
    removed.map((relation) => ({ field: `relation.${relation.kind}`, before: otherId, after: null })),
    at,
  );
}

function stateIn(states: readonly StateView[], stateId: string): StateView {
  const state = states.find((candidate) => candidate.id === stateId);
  if (!state)
    throw appError(
      'VALIDATION_FAILED',
      `This project has no such state. Its states are ${states.map((s) => `"${s.name}" (${s.id})`).join(', ')}.`,
    );
  return state;
}

/** Refuses a move the project's rules forbid, naming the states the task may move to. */
async function assertMoveAllowed(
  tx: Tx,
  access: ProjectAccess,
  task: TaskView,
  to: StateView,
  states: readonly StateView[],
): Promise<void> {
  const rules = (await listRules(tx, access.project.id)).filter((rule) => rule.fromStateId === task.state.id);
  if (rules.length === 0) return;
  const allowed = rules.filter((rule) => ruleAllows(rule.roles, access.role)).map((rule) => rule.toStateId);
  if (allowed.includes(to.id)) return;
  const names = states.filter((state) => allowed.includes(state.id)).map((state) => `"${state.name}"`);
  throw appError(
    'TRANSITION_NOT_ALLOWED',
    `${task.key} cannot move from "${task.state.name}" to "${to.name}": this project's workflow ${names.length > 0 ? `allows only ${names.join(', ')} from "${task.state.name}"${rules.some((rule) => rule.roles) ? ' for your role' : ''}` : `allows no move from "${task.state.name}" for your role`}.`,
    { extensions: { allowedStateIds: allowed } },
  );
}

/** The parent by key or id: a task of the same project that is not this one or below it. */
async function parentIn(tx: Tx, projectId: string, ref: string, taskId: string | null): Promise<string> {
  const parent = await findTask(tx, ref);
  if (!parent || parent.project_id !== projectId)
    throw appError('VALIDATION_FAILED', `The parent must be a task of this project; "${ref}" is not one.`);
  if (taskId) {
    const { rows } = await sql<{ id: string }>`
      WITH RECURSIVE up AS (SELECT id, parent_id FROM tasks WHERE id = ${parent.id}
        UNION SELECT t.id, t.parent_id FROM tasks t JOIN up ON t.id = up.parent_id)
      SELECT id FROM up WHERE id = ${taskId}`.execute(tx);
    if (rows.length > 0)
      throw appError('VALIDATION_FAILED', 'A task cannot be the parent of itself or of a task above it.');
  }
  return parent.id;
}

async function activeUsers(tx: Tx): Promise<Set<string>> {
  const rows = await tx.selectFrom('users').select('id').where('disabled_at', 'is', null).execute();
  return new Set(rows.map((row) => row.id));
}

/** Sets the task's assignees; `isNew`: the task was just made, so there are none to remove. */
async function setAssignees(tx: Tx, taskId: string, userIds: readonly string[], isNew = false): Promise<void> {
  const wanted = [...new Set(userIds)];
  if (wanted.length > 0) {
    const active = await activeUsers(tx);
    const unknown = wanted.filter((id) => !active.has(id));
    if (unknown.length > 0)
      throw appError(
        'VALIDATION_FAILED',
        `Assignees must be active members of the workspace; these are not: ${unknown.join(', ')}.`,
      );
  }
  if (!isNew) await tx.deleteFrom('task_assignees').where('task_id', '=', taskId).execute();
  if (wanted.length > 0)
    await tx
      .insertInto('task_assignees')
      .values(wanted.map((user_id) => ({ task_id: taskId, user_id })))
      .execute();
}

/** Sets the task's labels; `isNew`: the task was just made, so there are none to remove. */
async function setLabels(
  tx: Tx,
  projectId: string,
  taskId: string,
  labelIds: readonly string[],
  isNew = false,
): Promise<void> {
  const wanted = [...new Set(labelIds)];
  if (wanted.length > 0) {
    const known = new Set(
      (await tx.selectFrom('labels').select('id').where('project_id', '=', projectId).execute()).map((row) => row.id),
    );
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw appError('VALIDATION_FAILED', `These labels are not labels of this project: ${unknown.join(', ')}.`);
  }
  if (!isNew) await tx.deleteFrom('task_labels').where('task_id', '=', taskId).execute();
  if (wanted.length > 0)
    await tx
      .insertInto('task_labels')
      .values(wanted.map((label_id) => ({ task_id: taskId, label_id })))
      .execute();
}

/** Whom a change concerns: people newly assigned, and the task's watchers when it moved to another state. */
async function tellPeople(tx: Tx, actor: WorkActor, before: TaskView, after: TaskView, at: Date): Promise<void> {
  const had = new Set(before.assignees.map((person) => person.id));
  const added = after.assignees.map((person) => person.id).filter((id) => !had.has(id));
  await notify(tx, { recipients: added, actor, task: after, kind: 'assigned', at });
  if (before.state.id !== after.state.id) {
    const told = new Set(added);
    await notify(tx, {
      recipients: (await watchersOf(tx, after.id)).filter((id) => !told.has(id)),
      actor,
      task: after,
      kind: 'state_changed',
      data: { from: before.state.name, to: after.state.name },
      at,
    });
  }
}

/** Makes these people watchers of the task (those who watch already stay as they are), in one statement. */
export async function watch(tx: Tx, taskId: string, userIds: ReadonlyArray<string | undefined>): Promise<void> {
  const people = [...new Set(userIds.filter((id): id is string => Boolean(id)))];
  if (people.length === 0) return;
  await tx
    .insertInto('task_watchers')
    .values(people.map((user_id) => ({ task_id: taskId, user_id })))
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}

/** What changed between two views of a task, as a person reads it: state and people by name, parent by key. */
function changesOf(before: TaskView, after: TaskView): Change[] {
  const flat = (view: TaskView) => ({
    title: view.title,
    description: view.description,
    state: view.state.name,
    priority: view.priority,
    startDate: view.startDate,
    dueDate: view.dueDate,
    estimate: view.estimate,
    parent: view.parent?.key ?? null,
    assignees: view.assignees.map((person) => person.name),
    labels: view.labels.map((label) => label.name),
    fields: view.fields,
  });
  return diff(flat(before), flat(after), [
    'title',
    'description',
    'state',
    'priority',
    'startDate',
    'dueDate',
    'estimate',
    'parent',
    'assignees',
    'labels',
    'fields',
  ]);
}
