import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerToken } from '../../platform/http/auth.js';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { componentStates } from '../../platform/probes.js';
import { staffAuthor } from './status.policy.js';
import type { StatusService } from './status.service.js';

const tags = ['status'];

const checkSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(['http', 'tcp', 'tls']),
  target: z.record(z.string(), z.unknown()),
});

export const planSchema = z
  .object({ location: z.string(), intervalSeconds: z.number().int(), checks: z.array(checkSchema) })
  .meta({ id: 'ProbePlan' });

export const reportBody = z
  .object({
    readings: z
      .array(
        z
          .object({
            componentId: z.string().min(1).max(200),
            at: z.iso.datetime({ offset: true }),
            state: z.enum(componentStates),
            responseMs: z.number().min(0).max(3_600_000).optional(),
            message: z.string().max(1000),
            figures: z.record(z.string().max(100), z.number().finite()).optional(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();

const locationSchema = z
  .object({
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastReportAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ProbeLocation' });

/** The remote probe runners' API on the platform's host: their plan, and their reports (bearer: the location's token). */
export function probeApi(api: ApiScope, status: StatusService): void {
  const locationOf = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    const location = token ? await status.locations.authenticate(token) : undefined;
    if (!location)
      throw appError(
        'UNAUTHENTICATED',
        'A probe runner sends its location’s token as "Authorization: Bearer sfprobe_…" (steadfast probe location add <name> makes one).',
      );
    return location;
  };

  api.get(
    '/probe/plan',
    { schema: { summary: 'What a remote probe runner checks, and how often', tags, response: { 200: planSchema } } },
    async (request) => {
      const plan = await status.plan(await locationOf(request));
      return {
        ...plan,
        checks: plan.checks.map((check) => ({ ...check, target: { ...check.target } as Record<string, unknown> })),
      };
    },
  );

  api.post(
    '/probe/reports',
    {
      schema: {
        summary: 'A remote probe runner’s readings (now, or its backlog after an outage)',
        tags,
        body: reportBody,
        response: { 200: z.object({ accepted: z.number().int(), refused: z.number().int() }) },
      },
      bodyLimit: 8 * 1024 * 1024,
    },
    async (request) => {
      const location = await locationOf(request);
      return status.acceptReport(
        location,
        request.body.readings.map((reading) => ({
          componentId: reading.componentId,
          at: new Date(reading.at),
          outcome: {
            state: reading.state,
            message: reading.message,
            ...(reading.responseMs === undefined ? {} : { responseMs: reading.responseMs }),
            ...(reading.figures ? { figures: reading.figures } : {}),
          },
        })),
      );
    },
  );
}

/** Probe locations in the staff console. */
export function locationsConsoleApi(api: ApiScope, status: StatusService): void {
  const present = (location: Awaited<ReturnType<StatusService['locations']['get']>>) => ({
    name: location.name,
    createdAt: location.createdAt.toISOString(),
    lastReportAt: location.lastReportAt?.toISOString() ?? null,
    revokedAt: location.revokedAt?.toISOString() ?? null,
  });
  api.get(
    '/console/status/locations',
    {
      schema: {
        summary: 'Remote probe locations and when each last reported',
        tags,
        response: { 200: z.array(locationSchema) },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      return (await status.locations.list()).map(present);
    },
  );
  api.post(
    '/console/status/locations',
    {
      schema: {
        summary: 'Adds a remote probe location; its token is in this answer and never again',
        tags,
        body: z.object({ name: z.string().min(1).max(40) }).strict(),
        response: { 201: z.object({ location: locationSchema, token: z.string() }) },
      },
    },
    async (request, reply) => {
      const added = await status.locations.add(request.body.name, staffAuthor(request.actor));
      return reply.status(201).send({ location: present(added.location), token: added.token });
    },
  );
  api.delete(
    '/console/status/locations/:name',
    {
      schema: {
        summary: 'Revokes a location’s token: its runner’s next report is refused',
        tags,
        params: z.object({ name: z.string().max(40) }).strict(),
      },
    },
    async (request, reply) => {
      await status.locations.revoke(request.params.name, staffAuthor(request.actor));
      return reply.status(204).send();
    },
  );
}
