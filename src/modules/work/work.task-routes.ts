import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { validationFailed } from '../../platform/http/validation.js';
import { addComment, deleteComment, editComment, findComment, listComments } from './work.comments.js';
import { expectedVersion, idempotencyOf, json, sendStored, readTask, slugOf, workActorOf } from './work.http.js';
import type { WorkActor } from './work.policy.js';
import { reachProject, type ProjectAccess } from './work.projects.js';
import {
  activitySchema,
  commentBody,
  commentSchema,
  createTaskBody,
  relationBody,
  taskDetailSchema,
  taskPageSchema,
  taskQuery,
  taskRef,
  taskSchema,
  updateTaskBody,
} from './work.schema.js';
import type { WorkService } from './work.service.js';
import { listTasks, type TaskFilters } from './work.task-list.js';
import {
  createTask,
  deleteTask,
  findTask,
  noSuchTask,
  reachTask,
  relate,
  reachTaskDetail,
  unrelate,
  updateTask,
} from './work.tasks.js';
import type { WorkDatabase } from './work.tables.js';
import { viewFilters } from './work.views.js';

const tags = ['work'];
const params = z.object({ task: taskRef });

/** `field=<id>:<value>` query parameters as a map. */
function fieldValues(field: string | string[] | undefined): Record<string, string> | undefined {
  if (field === undefined) return undefined;
  const values: Record<string, string> = {};
  for (const item of Array.isArray(field) ? field : [field]) {
    const match = /^([0-9a-f-]{36}):(.*)$/i.exec(item);
    if (!match) throw validationFailed([{ in: 'query', path: 'field', message: 'give <field id>:<value>' }]);
    values[match[1]!] = match[2]!;
  }
  return values;
}

/** Tasks: listed, searched and filtered; made, read, changed (If-Match), deleted; related; commented; their history. */
export function taskApi(api: ApiScope, work: WorkService): void {
  api.get(
    '/tasks',
    {
      schema: {
        summary: 'Tasks of the projects you see: filtered, searched, sorted, a page at a time',
        tags,
        querystring: taskQuery,
        response: { 200: taskPageSchema },
      },
    },
    async (request) => {
      const actor = workActorOf(request.actor);
      return json(
        await work.read(slugOf(request), async (db) => {
          const asked = request.query;
          const saved = asked.view ? await viewFilters(db, actor, asked.view) : undefined;
          const query = saved
            ? {
                ...taskQuery.parse(saved.query),
                project: saved.projectId,
                limit: asked.limit,
                cursor: asked.cursor,
              }
            : asked;
          const parent = query.parent ? await findTask(db, query.parent) : undefined;
          const filters: TaskFilters = {
            projects: { actor, ref: query.project },
            stateIds: query.state,
            groups: query.group,
            assignee: query.assignee === 'me' ? actor.userId || 'none' : query.assignee,
            labelIds: query.label,
            priorities: query.priority,
            dueBefore: query.dueBefore,
            dueAfter: query.dueAfter,
            parentId: query.parent ? (parent?.id ?? '00000000-0000-0000-0000-000000000000') : undefined,
            fieldValues: fieldValues(query.field),
            q: query.q,
          };
          const page = await listTasks(db, filters, query.sort, query.limit, query.cursor);
          // Nothing shown of a named project: it may be one they may not see, which is a 404.
          if (page.items.length === 0 && query.project) await reachProject(db, actor, query.project);
          return page;
        }),
      );
    },
  );

  api.post(
    '/projects/:project/tasks',
    {
      schema: {
        summary: 'Makes a task in the project',
        tags,
        params: z.object({ project: z.string().min(1).max(64) }),
        body: createTaskBody,
        response: { 201: taskSchema },
      },
      config: { repeatable: 'idempotency-key' },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const response = await work.respond(slugOf(request), idempotencyOf(request, actor), async (tx, at) => {
        const access = await reachProject(tx, actor, request.params.project);
        return { status: 201, body: json(await createTask(tx, actor, access, request.body, at)) };
      });
      return sendStored(reply, response);
    },
  );

  api.get(
    '/tasks/:task',
    {
      schema: { summary: 'A task with its subtasks and relations', tags, params, response: { 200: taskDetailSchema } },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const detail = await work.read(slugOf(request), (db) => reachTaskDetail(db, actor, request.params.task));
      return reply.header('etag', `"${detail.version}"`).send(json(detail));
    },
  );

  api.patch(
    '/tasks/:task',
    {
      schema: {
        summary: 'Changes a task: fields, state (as the workflow allows), place on the board (If-Match required)',
        tags,
        params,
        body: updateTaskBody,
        response: { 200: taskSchema },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const version = expectedVersion(request);
      const response = await work.respond(slugOf(request), undefined, async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        return { status: 200, body: json(await updateTask(tx, actor, access, row, request.body, version, at)) };
      });
      return sendStored(reply, response);
    },
  );

  api.delete(
    '/tasks/:task',
    {
      schema: {
        summary: 'Deletes a task, its comments and history (If-Match required)',
        tags,
        params,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const version = expectedVersion(request);
      await work.write(slugOf(request), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        await deleteTask(tx, actor, access, row, version, at);
      });
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/tasks/:task/relations',
    {
      schema: {
        summary: 'Relates the task to another: blocks, blocked by, relates to, duplicates',
        tags,
        params,
        body: relationBody,
        response: { 204: z.null() },
      },
      config: { repeatable: 'always' },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      await work.write(slugOf(request), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        const other = await reachTask(tx, actor, request.body.task).catch(() => {
          throw appError(
            'VALIDATION_FAILED',
            `There is no task "${request.body.task}" you can see to relate this one to.`,
          );
        });
        const [from, to, kind] =
          request.body.kind === 'blocked_by'
            ? [other.row, row, 'blocks' as const]
            : [row, other.row, request.body.kind];
        await relate(tx, actor, access, from, kind, to, at);
      });
      return reply.status(204).send(null);
    },
  );

  api.delete(
    '/tasks/:task/relations/:other',
    {
      schema: {
        summary: 'Removes the relations between the task and another',
        tags,
        params: params.extend({ other: taskRef }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      await work.write(slugOf(request), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        const other = await findTask(tx, request.params.other);
        if (!other) throw noSuchTask();
        await unrelate(tx, actor, access, row, other.id, at);
      });
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/tasks/:task/comments',
    {
      schema: {
        summary: 'The comments on a task, oldest first',
        tags,
        params,
        response: { 200: z.array(commentSchema) },
      },
    },
    async (request) => json(await readTask(work, request, (db, task) => listComments(db, task.id))),
  );

  api.post(
    '/tasks/:task/comments',
    {
      schema: {
        summary: 'Comments on a task; @handle mentions a member',
        tags,
        params,
        body: commentBody,
        response: { 201: commentSchema },
      },
      config: { repeatable: 'idempotency-key' },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const response = await work.respond(slugOf(request), idempotencyOf(request, actor), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task);
        return { status: 201, body: json(await addComment(tx, actor, access, row, request.body.body, at)) };
      });
      return sendStored(reply, response);
    },
  );

  const commentParams = params.extend({ id: z.uuid('Give the comment id (a UUID).') });
  const onComment = async <T>(
    request: FastifyRequest & { params: z.infer<typeof commentParams> },
    change: (
      tx: Transaction<WorkDatabase>,
      actor: WorkActor,
      access: ProjectAccess,
      comment: Awaited<ReturnType<typeof findComment>>,
      at: Date,
    ) => Promise<T>,
  ): Promise<T> => {
    const actor = workActorOf(request.actor);
    return work.write(slugOf(request), async (tx, at) => {
      const { row, access } = await reachTask(tx, actor, request.params.task);
      return change(tx, actor, access, await findComment(tx, row.id, request.params.id), at);
    });
  };

  api.patch(
    '/tasks/:task/comments/:id',
    {
      schema: {
        summary: 'Edits your comment (If-Match required)',
        tags,
        params: commentParams,
        body: commentBody,
        response: { 200: commentSchema },
      },
    },
    async (request, reply) => {
      const version = expectedVersion(request);
      const view = await onComment(request, (tx, actor, access, comment, at) =>
        editComment(tx, actor, access, comment, request.body.body, version, at),
      );
      return reply.header('etag', `"${view.version}"`).send(json(view));
    },
  );

  api.delete(
    '/tasks/:task/comments/:id',
    {
      schema: {
        summary: 'Deletes a comment: yours, or any as a project lead (If-Match required)',
        tags,
        params: commentParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const version = expectedVersion(request);
      await onComment(request, (tx, actor, access, comment, at) =>
        deleteComment(tx, actor, access, comment, version, at),
      );
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/tasks/:task/activity',
    {
      schema: {
        summary: 'What changed on a task: who, when, which field, before and after',
        tags,
        params,
        response: { 200: z.array(activitySchema) },
      },
    },
    async (request) =>
      json(
        await readTask(work, request, (db, task) =>
          db
            .selectFrom('activity')
            .select(['id', 'actor', 'at', 'field', 'before', 'after'])
            .where('task_id', '=', task.id)
            .orderBy('id')
            .execute(),
        ),
      ),
  );
}
