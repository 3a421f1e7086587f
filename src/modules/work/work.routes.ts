import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { WorkDatabase } from './work.tables.js';
import type { ApiScope } from '../../platform/http/api.js';
import { expectedVersion, idempotencyOf, json, sendStored, slugOf, workActorOf } from './work.http.js';
import { assertProjectRole, canCreateProject, canManageProject } from './work.policy.js';
import { createProject, listProjects, reachProject, updateProject, type ProjectAccess } from './work.projects.js';
import {
  activitySchema,
  createProjectBody,
  fieldBody,
  fieldSchema,
  labelBody,
  labelSchema,
  memberBody,
  projectDetailSchema,
  projectMemberSchema,
  projectRef,
  projectSchema,
  ruleSchema,
  rulesBody,
  stateBody,
  stateSchema,
  updateProjectBody,
} from './work.schema.js';
import type { WorkService } from './work.service.js';
import {
  deleteField,
  deleteLabel,
  deleteState,
  listFields,
  listLabels,
  listProjectMembers,
  listRules,
  listStates,
  removeProjectMember,
  replaceRules,
  saveField,
  saveLabel,
  saveState,
  setProjectMember,
} from './work.settings.js';
import { appError } from '../../platform/errors.js';

const tags = ['work'];
const params = z.object({ project: projectRef });
const withId = (name: string) => z.object({ project: projectRef, id: z.uuid(`Give the ${name} id (a UUID).`) });

/** Projects and their settings: workflow states and rules, labels, custom fields, members. */
export function projectApi(api: ApiScope, work: WorkService): void {
  api.get(
    '/projects',
    {
      schema: {
        summary: 'The projects you are a member of (all of them for owners and admins)',
        tags,
        querystring: z.object({ archived: z.enum(['true', 'false']).default('false') }),
        response: { 200: z.array(projectSchema) },
      },
    },
    async (request) =>
      json(
        await work.read(slugOf(request), (db) =>
          listProjects(db, workActorOf(request.actor), request.query.archived === 'true'),
        ),
      ),
  );

  api.post(
    '/projects',
    {
      schema: {
        summary: 'Starts a project with the default workflow; you lead it',
        tags,
        body: createProjectBody,
        response: { 201: projectSchema },
      },
      config: { repeatable: 'idempotency-key' },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      if (!canCreateProject(actor))
        throw appError(
          'FORBIDDEN',
          'Your role does not allow you to start projects: a workspace member, admin or owner can.',
        );
      const response = await work.respond(slugOf(request), idempotencyOf(request, actor), async (tx, at) => ({
        status: 201,
        body: json(await createProject(tx, actor, request.body, at)),
      }));
      return sendStored(reply, response);
    },
  );

  api.get(
    '/projects/:project',
    {
      schema: {
        summary: 'A project with its states, rules, labels, fields and members',
        tags,
        params,
        response: { 200: projectDetailSchema },
      },
    },
    async (request, reply) => {
      const detail = await work.read(slugOf(request), async (db) => {
        const { project } = await reachProject(db, workActorOf(request.actor), request.params.project);
        const [states, rules, labels, fields, members] = await Promise.all([
          listStates(db, project.id),
          listRules(db, project.id),
          listLabels(db, project.id),
          listFields(db, project.id),
          listProjectMembers(db, project.id),
        ]);
        return { ...project, states, rules, labels, fields, members };
      });
      return reply.header('etag', `"${detail.version}"`).send(json(detail));
    },
  );

  api.get(
    '/projects/:project/activity',
    {
      schema: {
        summary:
          "The project's own history, newest first: members added, removed or changed, workflow, rules and settings (a task's is under the task)",
        tags,
        params,
        querystring: z.object({
          before: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe('Only entries older than this id: the next page.'),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.array(activitySchema) },
      },
    },
    async (request) =>
      json(
        await work.read(slugOf(request), async (db) => {
          const { project } = await reachProject(db, workActorOf(request.actor), request.params.project);
          let query = db
            .selectFrom('activity')
            .select(['id', 'actor', 'at', 'field', 'before', 'after'])
            .where('project_id', '=', project.id)
            .where('task_id', 'is', null)
            .orderBy('id', 'desc')
            .limit(request.query.limit);
          if (request.query.before) query = query.where('id', '<', request.query.before);
          return query.execute();
        }),
      ),
  );

  api.patch(
    '/projects/:project',
    {
      schema: {
        summary: 'Renames, describes, archives or restores a project (If-Match required)',
        tags,
        params,
        body: updateProjectBody,
        response: { 200: projectSchema },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      const version = expectedVersion(request);
      const response = await work.respond(slugOf(request), undefined, async (tx, at) => {
        const access = await reachProject(tx, actor, request.params.project, { lock: true });
        assertProjectRole(access.role, canManageProject, 'change the project');
        return { status: 200, body: json(await updateProject(tx, actor, access, request.body, version, at)) };
      });
      return sendStored(reply, response);
    },
  );

  /** A settings change by a project lead, answered with what the settings are now. */
  const settings = <T>(
    request: FastifyRequest & { params: { project: string } },
    change: (tx: Transaction<WorkDatabase>, access: ProjectAccess, at: Date) => Promise<T>,
  ): Promise<T> => {
    const actor = workActorOf(request.actor);
    return work.write(slugOf(request), async (tx, at) => {
      const access = await reachProject(tx, actor, request.params.project, { lock: true });
      assertProjectRole(access.role, canManageProject, 'change the project’s settings');
      return change(tx, access, at);
    });
  };

  api.post(
    '/projects/:project/states',
    {
      schema: {
        summary: 'Adds a workflow state',
        tags,
        params,
        body: stateBody.required({ name: true, group: true }),
        response: { 201: z.array(stateSchema) },
      },
      config: { repeatable: 'always' },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await settings(request, (tx, access, at) =>
            saveState(tx, workActorOf(request.actor), access, null, request.body, at),
          ),
        ),
  );
  api.patch(
    '/projects/:project/states/:id',
    {
      schema: {
        summary: 'Renames, regroups, recolours, moves or makes default a workflow state',
        tags,
        params: withId('state'),
        body: stateBody,
        response: { 200: z.array(stateSchema) },
      },
    },
    async (request) =>
      settings(request, (tx, access, at) =>
        saveState(tx, workActorOf(request.actor), access, request.params.id, request.body, at),
      ),
  );
  api.delete(
    '/projects/:project/states/:id',
    {
      schema: {
        summary: 'Removes a workflow state, moving its tasks to another',
        tags,
        params: withId('state'),
        querystring: z.object({
          moveTo: z.uuid().optional().describe('The state its tasks move to; required when it has any.'),
        }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await settings(request, (tx, access, at) =>
        deleteState(tx, workActorOf(request.actor), access, request.params.id, request.query.moveTo, at),
      );
      return reply.status(204).send(null);
    },
  );
  api.put(
    '/projects/:project/rules',
    {
      schema: {
        summary: 'Replaces the transition rules: from a state with rules, only the moves they name are allowed',
        tags,
        params,
        body: rulesBody,
        response: { 200: z.array(ruleSchema) },
      },
    },
    async (request) =>
      settings(request, (tx, access, at) =>
        replaceRules(tx, workActorOf(request.actor), access, request.body.rules, at),
      ),
  );

  api.post(
    '/projects/:project/labels',
    {
      schema: { summary: 'Adds a label', tags, params, body: labelBody, response: { 201: labelSchema } },
      config: { repeatable: 'always' },
    },
    async (request, reply) =>
      reply.status(201).send(await settings(request, (tx, access) => saveLabel(tx, access, null, request.body))),
  );
  api.patch(
    '/projects/:project/labels/:id',
    {
      schema: {
        summary: 'Renames or recolours a label',
        tags,
        params: withId('label'),
        body: labelBody.partial(),
        response: { 200: labelSchema },
      },
    },
    async (request) => settings(request, (tx, access) => saveLabel(tx, access, request.params.id, request.body)),
  );
  api.delete(
    '/projects/:project/labels/:id',
    {
      schema: {
        summary: 'Removes a label from the project and its tasks',
        tags,
        params: withId('label'),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await settings(request, (tx, access) => deleteLabel(tx, access, request.params.id));
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/projects/:project/fields',
    {
      schema: {
        summary: 'Adds a custom field',
        tags,
        params,
        body: fieldBody.required({ name: true, kind: true }),
        response: { 201: z.array(fieldSchema) },
      },
      config: { repeatable: 'always' },
    },
    async (request, reply) =>
      reply.status(201).send(await settings(request, (tx, access) => saveField(tx, access, null, request.body))),
  );
  api.patch(
    '/projects/:project/fields/:id',
    {
      schema: {
        summary: 'Renames a custom field, changes its options or whether it is required',
        tags,
        params: withId('field'),
        body: fieldBody,
        response: { 200: z.array(fieldSchema) },
      },
    },
    async (request) => settings(request, (tx, access) => saveField(tx, access, request.params.id, request.body)),
  );
  api.delete(
    '/projects/:project/fields/:id',
    {
      schema: {
        summary: 'Removes a custom field (its values stay in the history)',
        tags,
        params: withId('field'),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await settings(request, (tx, access) => deleteField(tx, access, request.params.id));
      return reply.status(204).send(null);
    },
  );

  api.put(
    '/projects/:project/members/:id',
    {
      schema: {
        summary: 'Adds a workspace member to the project, or changes their project role',
        tags,
        params: withId('member'),
        body: memberBody,
        response: { 200: z.array(projectMemberSchema) },
      },
    },
    async (request) =>
      settings(request, (tx, access, at) =>
        setProjectMember(tx, workActorOf(request.actor), access, request.params.id, request.body.role, at),
      ),
  );
  api.delete(
    '/projects/:project/members/:id',
    {
      schema: {
        summary: 'Removes someone from the project',
        tags,
        params: withId('member'),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await settings(request, (tx, access, at) =>
        removeProjectMember(tx, workActorOf(request.actor), access, request.params.id, at),
      );
      return reply.status(204).send(null);
    },
  );
}
