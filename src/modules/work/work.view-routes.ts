import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { expectedVersion, idempotencyOf, json, sendStored, slugOf, workActorOf } from './work.http.js';
import { reachProject } from './work.projects.js';
import { createViewBody, projectRef, updateViewBody, viewSchema } from './work.schema.js';
import type { WorkService } from './work.service.js';
import { createView, deleteView, findView, listViews, updateView } from './work.views.js';

const tags = ['work'];
const params = z.object({ project: projectRef });
const viewParams = params.extend({ id: z.uuid('Give the view id (a UUID).') });

/** Saved views of a project's tasks: one's own, and those shared with the project. */
export function viewApi(api: ApiScope, work: WorkService): void {
  api.get(
    '/projects/:project/views',
    {
      schema: {
        summary: "The project's shared views and your own",
        tags,
        params,
        response: { 200: z.array(viewSchema) },
      },
    },
    async (request) => {
      const actor = workActorOf(request.actor);
      return json(
        await work.read(slugOf(request), async (db) =>
          listViews(db, actor, (await reachProject(db, actor, request.params.project)).project.id),
        ),
      );
    },
  );

  api.post(
    '/projects/:project/views',
    {
      schema: {
        summary: 'Saves a view: filters and sort for you alone, or shared with the project',
        tags,
        params,
        body: createViewBody,
        response: { 201: viewSchema },
      },
      config: { repeatable: 'idempotency-key' },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const response = await work.respond(slugOf(request), idempotencyOf(request, actor), async (tx, at) => {
        const access = await reachProject(tx, actor, request.params.project);
        return { status: 201, body: json(await createView(tx, actor, access, request.body, at)) };
      });
      return sendStored(reply, response);
    },
  );

  api.patch(
    '/projects/:project/views/:id',
    {
      schema: {
        summary: 'Renames, shares or changes a saved view (If-Match required)',
        tags,
        params: viewParams,
        body: updateViewBody,
        response: { 200: viewSchema },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const version = expectedVersion(request);
      const response = await work.respond(slugOf(request), undefined, async (tx, at) => {
        const access = await reachProject(tx, actor, request.params.project);
        const row = await findView(tx, actor, access.project.id, request.params.id, true);
        return { status: 200, body: json(await updateView(tx, actor, access, row, request.body, version, at)) };
      });
      return sendStored(reply, response);
    },
  );

  api.delete(
    '/projects/:project/views/:id',
    {
      schema: {
        summary: 'Deletes a saved view (If-Match required)',
        tags,
        params: viewParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const version = expectedVersion(request);
      await work.write(slugOf(request), async (tx) => {
        const access = await reachProject(tx, actor, request.params.project);
        const row = await findView(tx, actor, access.project.id, request.params.id, true);
        await deleteView(tx, actor, access, row, version);
      });
      return reply.status(204).send(null);
    },
  );
}
