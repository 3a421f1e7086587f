import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { json, readTask, slugOf, workActorOf } from './work.http.js';
import { findRecurrence, setRecurrence, stopRecurrence } from './work.recurring.js';
import { recurrenceBody, recurrenceSchema, taskRef } from './work.schema.js';
import type { WorkService } from './work.service.js';
import { reachTask } from './work.tasks.js';

const tags = ['work'];
const params = z.object({ task: taskRef });

/** A task's repeat rule: a copy of the task is made, due that day, on each occurrence. */
export function recurrenceApi(api: ApiScope, work: WorkService): void {
  api.get(
    '/tasks/:task/recurrence',
    {
      schema: {
        summary: 'How a task repeats (null when it does not)',
        tags,
        params,
        response: { 200: recurrenceSchema.nullable() },
      },
    },
    async (request) => json(await readTask(work, request, (db, task) => findRecurrence(db, task.id))),
  );

  api.put(
    '/tasks/:task/recurrence',
    {
      schema: {
        summary: 'Makes a task repeat, or changes how: every N days, weeks (on given weekdays) or months',
        tags,
        params,
        body: recurrenceBody,
        response: { 200: recurrenceSchema },
      },
      config: { repeatable: 'always' },
    },
    async (request) => {
      const actor = workActorOf(request.actor);
      return json(
        await work.write(slugOf(request), async (tx, at) => {
          const { row, access } = await reachTask(tx, actor, request.params.task, true);
          return setRecurrence(tx, actor, access, row, request.body, at);
        }),
      );
    },
  );

  api.delete(
    '/tasks/:task/recurrence',
    {
      schema: {
        summary: 'Stops a task repeating (the copies already made stay)',
        tags,
        params,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      await work.write(slugOf(request), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        await stopRecurrence(tx, actor, access, row, at);
      });
      return reply.status(204).send(null);
    },
  );
}
