import type { Kysely } from 'kysely';
import { handleOf, renderMarkdown } from './work.markdown.js';
import type { Priority, RelationKind, StateGroup, TasksTable, WorkDatabase } from './work.tables.js';
import type { Selectable } from 'kysely';

/** Someone a task names: an assignee, its author. */
export interface PersonRef {
  readonly id: string;
  readonly name: string;
  readonly handle: string;
}

/** Another task, as a link to it. */
export interface TaskRef {
  readonly id: string;
  readonly key: string;
  readonly title: string;
  readonly stateGroup: StateGroup;
}

/** A task as lists, boards and its page show it. */
export interface TaskView {
  readonly id: string;
  readonly key: string;
  readonly number: number;
  readonly projectId: string;
  readonly projectKey: string;
  readonly title: string;
  readonly description: string;
  /** The description rendered from Markdown and sanitised: safe to put in a page as it is. */
  readonly descriptionHtml: string;
  readonly state: { readonly id: string; readonly name: string; readonly group: StateGroup; readonly color: string };
  readonly priority: Priority;
  readonly startDate: string | null;
  readonly dueDate: string | null;
  readonly estimate: number | null;
  readonly parent: TaskRef | null;
  readonly assignees: PersonRef[];
  readonly labels: Array<{ id: string; name: string; color: string }>;
  readonly fields: Record<string, unknown>;
  readonly subtaskCount: number;
  readonly commentCount: number;
  readonly position: number;
  readonly createdBy: PersonRef | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
  readonly version: number;
}

/** A task's page: the view with its subtasks and relations. */
export interface TaskDetail extends TaskView {
  readonly subtasks: TaskRef[];
  readonly relations: Array<{ kind: RelationKind | 'blocked_by'; task: TaskRef }>;
}

export type TaskRow = Selectable<TasksTable>;

const person = (row: { id: string; name: string; email: string }): PersonRef => ({
  id: row.id,
  name: row.name,
  handle: handleOf(row.email),
});

/** The views of `rows`, in their order: what they refer to read in one query per kind, not per task. */
export async function viewsOf(db: Kysely<WorkDatabase>, rows: readonly TaskRow[]): Promise<TaskView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const projectIds = [...new Set(rows.map((row) => row.project_id))];
  const parentIds = [...new Set(rows.flatMap((row) => (row.parent_id ? [row.parent_id] : [])))];
  const authorIds = [...new Set(rows.flatMap((row) => (row.created_by ? [row.created_by] : [])))];
  const [projects, states, assignees, labels, parents, counts, comments, authors] = await Promise.all([
    db.selectFrom('projects').select(['id', 'key']).where('id', 'in', projectIds).execute(),
    db
      .selectFrom('workflow_states')
      .select(['id', 'name', 'state_group', 'color'])
      .where('project_id', 'in', projectIds)
      .execute(),
    db
      .selectFrom('task_assignees')
      .innerJoin('users', 'users.id', 'task_assignees.user_id')
      .select(['task_assignees.task_id', 'users.id', 'users.name', 'users.email'])
      .where('task_assignees.task_id', 'in', ids)
      .orderBy('users.name')
      .execute(),
    db
      .selectFrom('task_labels')
      .innerJoin('labels', 'labels.id', 'task_labels.label_id')
      .select(['task_labels.task_id', 'labels.id', 'labels.name', 'labels.color'])
      .where('task_labels.task_id', 'in', ids)
      .orderBy('labels.name')
      .execute(),
    parentIds.length === 0 ? [] : refsOf(db, parentIds),
    db
      .selectFrom('tasks')
      .select(['parent_id', (eb) => eb.fn.countAll<number>().as('count')])
      .where('parent_id', 'in', ids)
      .groupBy('parent_id')
      .execute(),
    db
      .selectFrom('comments')
      .select(['task_id', (eb) => eb.fn.countAll<number>().as('count')])
      .where('task_id', 'in', ids)
      .groupBy('task_id')
      .execute(),
    authorIds.length === 0
      ? []
      : db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', authorIds).execute(),
  ]);
  const keyOf = new Map(projects.map((project) => [project.id, project.key]));
  const stateOf = new Map(states.map((state) => [state.id, state]));
  const parentOf = new Map(parents.map((parent) => [parent.id, parent]));
  const subtasks = new Map(counts.map((count) => [count.parent_id!, Number(count.count)]));
  const commentCounts = new Map(comments.map((count) => [count.task_id, Number(count.count)]));
  const authorOf = new Map(authors.map((author) => [author.id, person(author)]));
  return rows.map((row) => {
    const state = stateOf.get(row.state_id)!;
    return {
      id: row.id,
      key: `${keyOf.get(row.project_id)}-${row.number}`,
      number: row.number,
      projectId: row.project_id,
      projectKey: keyOf.get(row.project_id)!,
      title: row.title,
      description: row.description,
      descriptionHtml: renderMarkdown(row.description),
      state: { id: state.id, name: state.name, group: state.state_group, color: state.color },
      priority: row.priority,
      startDate: row.start_date,
      dueDate: row.due_date,
      estimate: row.estimate === null ? null : Number(row.estimate),
      parent: row.parent_id ? (parentOf.get(row.parent_id) ?? null) : null,
      assignees: assignees.filter((assignee) => assignee.task_id === row.id).map(person),
      labels: labels.filter((label) => label.task_id === row.id).map(({ id, name, color }) => ({ id, name, color })),
      fields: row.fields,
      subtaskCount: subtasks.get(row.id) ?? 0,
      commentCount: commentCounts.get(row.id) ?? 0,
      position: row.position,
      createdBy: row.created_by ? (authorOf.get(row.created_by) ?? null) : null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      completedAt: row.completed_at,
      version: row.version,
    };
  });
}

/** Links to the tasks with these ids. */
export async function refsOf(db: Kysely<WorkDatabase>, ids: readonly string[]): Promise<TaskRef[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .innerJoin('workflow_states', 'workflow_states.id', 'tasks.state_id')
    .select(['tasks.id', 'projects.key', 'tasks.number', 'tasks.title', 'workflow_states.state_group'])
    .where('tasks.id', 'in', ids)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    key: `${row.key}-${row.number}`,
    title: row.title,
    stateGroup: row.state_group,
  }));
}

/** The task's page: its view, subtasks (by number) and relations both ways. */
export async function detailOf(db: Kysely<WorkDatabase>, row: TaskRow): Promise<TaskDetail> {
  const [view] = await viewsOf(db, [row]);
  const children = await db
    .selectFrom('tasks')
    .select('id')
    .where('parent_id', '=', row.id)
    .orderBy('number')
    .execute();
  const relations = await db
    .selectFrom('task_relations')
    .select(['task_id', 'related_id', 'kind'])
    .where((eb) => eb.or([eb('task_id', '=', row.id), eb('related_id', '=', row.id)]))
    .orderBy('created_at')
    .execute();
  const otherOf = (relation: { task_id: string; related_id: string }) =>
    relation.task_id === row.id ? relation.related_id : relation.task_id;
  const refs = new Map(
    (await refsOf(db, [...children.map((child) => child.id), ...relations.map(otherOf)])).map((ref) => [ref.id, ref]),
  );
  return {
    ...view!,
    subtasks: children.map((child) => refs.get(child.id)!),
    relations: relations.map((relation) => ({
      kind: relation.kind === 'blocks' && relation.related_id === row.id ? 'blocked_by' : relation.kind,
      task: refs.get(otherOf(relation))!,
    })),
  };
}
