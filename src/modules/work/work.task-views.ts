import { sql, type Kysely, type RawBuilder } from 'kysely';
import { handleOf, renderMarkdown } from './work.markdown.js';
import { splitProject, type ProjectBeside, type ProjectWithMembership } from './work.projects.js';
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

/** A task in a list: its view without the rendered description. */
export type TaskListItem = Omit<TaskView, 'descriptionHtml'>;

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

/** The columns of a task's row: never `t.*`, which would carry the search vector to every answer. */
const taskFieldNames = [
  'id',
  'project_id',
  'number',
  'title',
  'description',
  'state_id',
  'priority',
  'start_date',
  'due_date',
  'estimate',
  'parent_id',
  'position',
  'fields',
  'version',
  'created_by',
  'created_at',
  'updated_at',
  'completed_at',
] as const satisfies ReadonlyArray<keyof TasksTable>;

/** A task row's columns under `alias`, for Kysely's select. */
export const taskColumns = <A extends string>(alias: A) =>
  taskFieldNames.map((name) => `${alias}.${name}` as const) as ReadonlyArray<`${A}.${(typeof taskFieldNames)[number]}`>;

/** What a view adds to a task's row. */
export interface Decoration {
  project_key: string;
  state_name: string;
  state_group: StateGroup;
  state_color: string;
  assignees: Array<{ id: string; name: string; email: string }>;
  labels: Array<{ id: string; name: string; color: string }>;
  parent: TaskRef | null;
  subtask_count: number;
  comment_count: number;
  author: { id: string; name: string; email: string } | null;
}

/**
 * A task row's columns and its decoration, selected from `source` (task rows, named `t`):
 * what a view refers to (project key, state, assignees, labels, parent, counts, author) read in
 * the same statement as the rows, a round trip rather than one per kind: under load, a list
 * waits for connections more than for Postgres.
 */
export const decorated = (source: RawBuilder<unknown>, more: RawBuilder<unknown> = sql``) => sql`
  SELECT ${sql.raw(taskFieldNames.map((name) => `t.${name}`).join(', '))},
    p.key AS project_key, s.name AS state_name, s.state_group, s.color AS state_color,
    coalesce((SELECT json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email) ORDER BY u.name, u.id)
                FROM task_assignees a JOIN users u ON u.id = a.user_id WHERE a.task_id = t.id), '[]') AS assignees,
    coalesce((SELECT json_agg(json_build_object('id', l.id, 'name', l.name, 'color', l.color) ORDER BY l.name, l.id)
                FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = t.id), '[]') AS labels,
    (SELECT json_build_object('id', pt.id, 'key', pp.key || '-' || pt.number, 'title', pt.title, 'stateGroup', ps.state_group)
       FROM tasks pt JOIN projects pp ON pp.id = pt.project_id JOIN workflow_states ps ON ps.id = pt.state_id
      WHERE pt.id = t.parent_id) AS parent,
    (SELECT count(*) FROM tasks c WHERE c.parent_id = t.id) AS subtask_count,
    (SELECT count(*) FROM comments c WHERE c.task_id = t.id) AS comment_count,
    (SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email) FROM users u WHERE u.id = t.created_by) AS author
    ${more}
  FROM ${source} JOIN projects p ON p.id = t.project_id JOIN workflow_states s ON s.id = t.state_id`;

/** The views of `rows`, in their order, decorated in one query. */
export async function viewsOf(db: Kysely<WorkDatabase>, rows: readonly TaskRow[]): Promise<TaskView[]> {
  if (rows.length === 0) return [];
  const { rows: found } = await sql<TaskRow & Decoration>`${decorated(sql`tasks t`)}
    WHERE t.id = ANY(${rows.map((row) => row.id)}::uuid[])`.execute(db);
  const byId = new Map(found.map((row) => [row.id, row]));
  return rows.map((row) => viewOf(byId.get(row.id)!));
}

/** A task's view from its row and decoration, its description rendered. */
export function viewOf(row: TaskRow & Decoration): TaskView {
  return { ...listItemOf(row), descriptionHtml: renderMarkdown(row.description) };
}

/**
 * A task as a list shows it: its view without the rendered description, which only a task's own
 * page shows (rendering 50 descriptions was most of a list's work in this process).
 */
export function listItemOf(row: TaskRow & Decoration): TaskListItem {
  return {
    id: row.id,
    key: `${row.project_key}-${row.number}`,
    number: row.number,
    projectId: row.project_id,
    projectKey: row.project_key,
    title: row.title,
    description: row.description,
    state: { id: row.state_id, name: row.state_name, group: row.state_group, color: row.state_color },
    priority: row.priority,
    startDate: row.start_date,
    dueDate: row.due_date,
    estimate: row.estimate === null ? null : Number(row.estimate),
    parent: row.parent,
    assignees: row.assignees.map(person),
    labels: row.labels,
    fields: row.fields,
    subtaskCount: Number(row.subtask_count),
    commentCount: Number(row.comment_count),
    position: row.position,
    createdBy: row.author ? person(row.author) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    version: row.version,
  };
}

interface Link {
  link: 'subtask' | RelationKind;
  outgoing: boolean;
  id: string;
  key: string;
  title: string;
  state_group: StateGroup;
}

/** Subtasks by number, then relations both ways by when they were made, of the task `t`. */
const linksColumn = sql`(SELECT coalesce(json_agg(json_build_object('link', link, 'outgoing', outgoing, 'id', o.id,
      'key', op.key || '-' || o.number, 'title', o.title, 'state_group', os.state_group) ORDER BY l.part, l.ord, l.made), '[]')
    FROM (
      SELECT 'subtask' AS link, true AS outgoing, c.id AS other, 0 AS part, c.number::bigint AS ord, NULL::timestamptz AS made
        FROM tasks c WHERE c.parent_id = t.id
      UNION ALL
      SELECT r.kind, r.task_id = t.id, CASE WHEN r.task_id = t.id THEN r.related_id ELSE r.task_id END, 1, 0, r.created_at
        FROM task_relations r WHERE r.task_id = t.id OR r.related_id = t.id
    ) l
    JOIN tasks o ON o.id = l.other JOIN projects op ON op.id = o.project_id JOIN workflow_states os ON os.id = o.state_id
  ) AS links`;

/**
 * The page of the task `where` names (a condition on the task `t` and its project `p`): its view,
 * subtasks and relations, with its project and `userId`'s membership of it, in one statement.
 */
export async function findDetail(
  db: Kysely<WorkDatabase>,
  where: RawBuilder<unknown>,
  userId: string | null,
): Promise<{ detail: TaskDetail; project: ProjectWithMembership } | undefined> {
  const more = sql`, ${linksColumn}, p.key AS p_key, p.name AS p_name, p.description AS p_description, p.version AS p_version,
    p.created_at AS p_created_at, p.updated_at AS p_updated_at, p.archived_at AS p_archived_at,
    (SELECT m.role FROM project_members m WHERE m.project_id = p.id AND m.user_id = ${userId}) AS p_membership`;
  const { rows } = await sql<
    TaskRow & Decoration & ProjectBeside & { links: Link[] }
  >`${decorated(sql`tasks t`, more)} WHERE ${where}`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const ref = (link: Link): TaskRef => ({
    id: link.id,
    key: link.key,
    title: link.title,
    stateGroup: link.state_group,
  });
  return {
    detail: {
      ...viewOf(row),
      subtasks: row.links.filter((link) => link.link === 'subtask').map(ref),
      relations: row.links.flatMap((link) =>
        link.link === 'subtask'
          ? []
          : [{ kind: link.link === 'blocks' && !link.outgoing ? ('blocked_by' as const) : link.link, task: ref(link) }],
      ),
    },
    project: splitProject(row).project,
  };
}
