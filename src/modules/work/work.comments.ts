import type { Kysely, Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { publish, recordActivity } from './work.activity.js';
import { notify } from './work.notifications.js';
import { handleOf, mentionedHandles, renderMarkdown } from './work.markdown.js';
import { assertProjectRole, canEditTasks, canManageProject, type WorkActor } from './work.policy.js';
import { assertVersion, type ProjectAccess } from './work.projects.js';
import { taskColumns, type PersonRef, type TaskRow } from './work.task-views.js';
import { watch } from './work.tasks.js';
import type { WorkDatabase } from './work.tables.js';

/** A comment's columns: never the search vector, which no answer shows. */
const commentColumns = ['id', 'task_id', 'author_id', 'body', 'version', 'created_at', 'updated_at'] as const;

/** A comment as the task's page shows it: Markdown and its sanitised rendering, with mentions marked. */
export interface CommentView {
  readonly id: string;
  readonly taskId: string;
  readonly author: PersonRef | null;
  readonly body: string;
  readonly bodyHtml: string;
  readonly mentions: PersonRef[];
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

type Tx = Transaction<WorkDatabase>;
type CommentRow = {
  id: string;
  task_id: string;
  author_id: string | null;
  body: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

/** Active members by handle (the part of their address before the @): whom `@handle` mentions. */
async function people(db: Kysely<WorkDatabase>): Promise<Map<string, PersonRef>> {
  const rows = await db.selectFrom('users').select(['id', 'name', 'email']).where('disabled_at', 'is', null).execute();
  return new Map(rows.map((row) => [handleOf(row.email), { id: row.id, name: row.name, handle: handleOf(row.email) }]));
}

function present(row: CommentRow, byHandle: Map<string, PersonRef>, byId: Map<string, PersonRef>): CommentView {
  const mentions = mentionedHandles(row.body).flatMap((handle) => byHandle.get(handle) ?? []);
  return {
    id: row.id,
    taskId: row.task_id,
    author: row.author_id ? (byId.get(row.author_id) ?? null) : null,
    body: row.body,
    bodyHtml: renderMarkdown(row.body, new Set(mentions.map((person) => person.handle))),
    mentions,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listComments(db: Kysely<WorkDatabase>, taskId: string): Promise<CommentView[]> {
  const rows = await db
    .selectFrom('comments')
    .select(commentColumns)
    .where('task_id', '=', taskId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const byHandle = await people(db);
  const byId = new Map([...byHandle.values()].map((person) => [person.id, person]));
  return rows.map((row) => present(row, byHandle, byId));
}

/** Tells whoever a comment mentions (and an edit newly mentions) that they were. */
async function tellMentioned(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  comment: CommentView,
  mentionedBefore: readonly string[],
  at: Date,
): Promise<void> {
  const before = new Set(mentionedBefore);
  await notify(tx, {
    recipients: comment.mentions.filter((person) => !before.has(person.handle)).map((person) => person.id),
    actor,
    task: { id: task.id, key: `${access.project.key}-${task.number}`, title: task.title, projectId: task.project_id },
    kind: 'mentioned',
    data: { commentId: comment.id, excerpt: comment.body.slice(0, 200) },
    at,
  });
}

/** Comments on a task; whoever it mentions starts watching it (and is told, with the notifications). */
export async function addComment(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  body: string,
  at: Date,
): Promise<CommentView> {
  assertProjectRole(access.role, canEditTasks, 'comment');
  const row = await tx
    .insertInto('comments')
    .values({ task_id: task.id, author_id: actor.userId || null, body, created_at: at, updated_at: at })
    .returning(commentColumns)
    .executeTakeFirstOrThrow();
  const byHandle = await people(tx);
  const view = present(row, byHandle, new Map([...byHandle.values()].map((person) => [person.id, person])));
  await watch(tx, task.id, [actor.userId, ...view.mentions.map((person) => person.id)]);
  await tellMentioned(tx, actor, access, task, view, [], at);
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: task.id },
    actor,
    [{ field: 'comment', before: null, after: row.id }],
    at,
  );
  await publish(tx, access.project.id, 'comment.created', { taskId: task.id, comment: view });
  return view;
}

/** The comment by id within a task the person may see, locked to change. */
export async function findComment(tx: Tx, taskId: string, commentId: string): Promise<CommentRow> {
  const row = await tx
    .selectFrom('comments')
    .select(commentColumns)
    .where('id', '=', commentId)
    .where('task_id', '=', taskId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw appError('NOT_FOUND', 'There is no such comment on this task.');
  return row;
}

/** Only its author edits a comment, and only the version they read. */
export async function editComment(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: CommentRow,
  body: string,
  expectedVersion: number,
  at: Date,
): Promise<CommentView> {
  if (!actor.userId || row.author_id !== actor.userId)
    throw appError('FORBIDDEN', 'Only its author can edit a comment.');
  assertProjectRole(access.role, canEditTasks, 'edit comments');
  assertVersion('comment', row.version, expectedVersion);
  const updated = await tx
    .updateTable('comments')
    .set({ body, version: row.version + 1, updated_at: at })
    .where('id', '=', row.id)
    .returning(commentColumns)
    .executeTakeFirstOrThrow();
  const byHandle = await people(tx);
  const view = present(updated, byHandle, new Map([...byHandle.values()].map((person) => [person.id, person])));
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: row.task_id },
    actor,
    [{ field: 'comment.edited', before: row.body, after: body }],
    at,
  );
  const task = await tx
    .selectFrom('tasks')
    .select(taskColumns('tasks'))
    .where('id', '=', row.task_id)
    .executeTakeFirstOrThrow();
  await tellMentioned(tx, actor, access, task, view, mentionedHandles(row.body), at);
  await publish(tx, access.project.id, 'comment.updated', { taskId: row.task_id, comment: view });
  return view;
}

/** Its author or a project lead deletes a comment. */
export async function deleteComment(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: CommentRow,
  expectedVersion: number,
  at: Date,
): Promise<void> {
  if (row.author_id !== actor.userId || !actor.userId)
    assertProjectRole(access.role, canManageProject, "delete others' comments");
  else assertProjectRole(access.role, canEditTasks, 'delete comments');
  assertVersion('comment', row.version, expectedVersion);
  await tx.deleteFrom('comments').where('id', '=', row.id).execute();
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: row.task_id },
    actor,
    [{ field: 'comment.deleted', before: row.body, after: null }],
    at,
  );
  await publish(tx, access.project.id, 'comment.deleted', { taskId: row.task_id, commentId: row.id });
}
