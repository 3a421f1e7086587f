import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { promisedAvailability, downtimeBudget, monthOf } from './status.uptime.js';
import type { Incident } from './status.incidents.js';
import type { Maintenance } from './status.maintenance.js';
import { staffAuthor } from './status.policy.js';
import {
  arrangeBody,
  checkBody,
  componentSchema,
  idParams,
  incidentSchema,
  incidentUpdateBody,
  maintenanceBody,
  maintenanceSchema,
  openIncidentBody,
  uptimeQuery,
  uptimeSchema,
} from './status.schema.js';
import type { StatusService } from './status.service.js';
import { serviceComponents } from './status.reports.js';

const tags = ['status'];

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

export const presentIncident = (incident: Incident) => ({
  ...incident,
  tenants: incident.tenants ? [...incident.tenants] : null,
  startedAt: incident.startedAt.toISOString(),
  resolvedAt: iso(incident.resolvedAt),
  updates: incident.updates.map((update) => ({ ...update, at: update.at.toISOString() })),
});

export const presentMaintenance = (window: Maintenance) => ({
  ...window,
  components: [...window.components],
  tenants: window.tenants ? [...window.tenants] : null,
  startsAt: window.startsAt.toISOString(),
  endsAt: window.endsAt.toISOString(),
  announcedAt: window.announcedAt.toISOString(),
  reason: window.reason ?? null,
  cancelledAt: iso(window.cancelledAt),
});

/**
 * Monitoring in the staff console, under `/api/v1/console/status`: components and the
 * operator's own checks, incidents and their updates (drafts an alert opened included), and
 * maintenance windows; every change is written to the platform audit log.
 */
export function statusConsoleApi(api: ApiScope, status: StatusService): void {
  api.get(
    '/console/status/components',
    {
      schema: {
        summary: 'Every component with its state now, as each probe location sees it',
        tags,
        response: { 200: z.array(componentSchema) },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      const [components, current] = await Promise.all([status.components(), status.current()]);
      return components.map((component) => {
        const now = current.get(component.id);
        return {
          ...component,
          target: { ...component.target },
          state: now?.state ?? 'operational',
          maintenance: now?.maintenance ?? false,
          seenDownFrom: now?.seenDownFrom ?? [],
          locations: (now?.locations ?? []).map((location) => ({ ...location, at: location.at.toISOString() })),
        };
      });
    },
  );

  api.post(
    '/console/status/checks',
    {
      schema: {
        summary: 'Adds a check of your own: HTTP (status code, keyword), TCP connect, or TLS certificate expiry',
        tags,
        body: checkBody,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) => {
      const author = staffAuthor(request.actor);
      const component = await status.addCheck(request.body, author);
      return reply.status(201).send({ id: component.id });
    },
  );

  api.patch(
    '/console/status/components/:id',
    {
      schema: {
        summary: 'Renames a component, shows or hides it on the status page, or moves it',
        tags,
        params: idParams,
        body: arrangeBody,
        response: { 200: z.object({ id: z.string() }) },
      },
    },
    async (request) => {
      const author = staffAuthor(request.actor);
      return { id: (await status.arrange(request.params.id, request.body, author)).id };
    },
  );

  api.delete(
    '/console/status/checks/:id',
    { schema: { summary: 'Removes a check of your own (its history stays)', tags, params: idParams } },
    async (request, reply) => {
      const author = staffAuthor(request.actor);
      await status.removeCheck(request.params.id, author);
      return reply.status(204).send();
    },
  );

  api.get(
    '/console/status/incidents',
    {
      schema: {
        summary: 'Incidents, newest first (the last 100), drafts an alert opened included',
        tags,
        response: { 200: z.array(incidentSchema) },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      return (await status.incidents.list({ drafts: true, limit: 100 })).map(presentIncident);
    },
  );

  api.post(
    '/console/status/incidents',
    {
      schema: {
        summary: 'Opens an incident: published on the status page at once',
        tags,
        body: openIncidentBody,
        response: { 201: incidentSchema },
      },
    },
    async (request, reply) => {
      const author = staffAuthor(request.actor);
      const { startedAt, ...input } = request.body;
      const incident = await status.incidents.open(
        { ...input, ...(startedAt ? { startedAt: new Date(startedAt) } : {}) },
        author,
      );
      return reply.status(201).send(presentIncident(incident));
    },
  );

  api.post(
    '/console/status/incidents/:id/updates',
    {
      schema: {
        summary: 'Adds a timestamped update; `resolved` closes the incident',
        tags,
        params: idParams,
        body: incidentUpdateBody,
        response: { 200: incidentSchema },
      },
    },
    async (request) => {
      const author = staffAuthor(request.actor);
      return presentIncident(await status.incidents.update(request.params.id, request.body, author));
    },
  );

  api.post(
    '/console/status/incidents/:id/confirm',
    {
      schema: {
        summary: 'Publishes a draft incident an alert opened',
        tags,
        params: idParams,
        response: { 200: incidentSchema },
      },
    },
    async (request) => {
      const author = staffAuthor(request.actor);
      return presentIncident(await status.incidents.confirm(request.params.id, author));
    },
  );

  api.delete(
    '/console/status/incidents/:id',
    { schema: { summary: 'Throws away a draft incident nobody confirmed', tags, params: idParams } },
    async (request, reply) => {
      const author = staffAuthor(request.actor);
      await status.incidents.discard(request.params.id, author);
      return reply.status(204).send();
    },
  );

  api.get(
    '/console/status/maintenance',
    {
      schema: {
        summary: 'Maintenance windows under way or ahead, and those of the last 90 days',
        tags,
        response: { 200: z.array(maintenanceSchema) },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      const now = new Date();
      const windows = await status.maintenance.overlapping({
        start: new Date(now.getTime() - 90 * 86_400_000),
        end: new Date(8.64e15),
      });
      return windows.map(presentMaintenance);
    },
  );

  api.post(
    '/console/status/maintenance',
    {
      schema: {
        summary: 'Schedules a maintenance window',
        description:
          'Announced at least 24 hours ahead, it is removed from the month’s uptime. Starting sooner, it needs a `reason`, is marked short-notice and counts as downtime. Affected workspaces show it on their sign-in page from now on.',
        tags,
        body: maintenanceBody,
        response: { 201: maintenanceSchema },
      },
    },
    async (request, reply) => {
      const author = staffAuthor(request.actor);
      const body = request.body;
      const window = await status.maintenance.schedule(
        { ...body, startsAt: new Date(body.startsAt), endsAt: new Date(body.endsAt) },
        author,
      );
      return reply.status(201).send(presentMaintenance(window));
    },
  );

  for (const [action, summary] of [
    ['cancel', 'Cancels a window that has not started'],
    ['end', 'Ends a window under way now'],
  ] as const)
    api.post(
      `/console/status/maintenance/:id/${action}`,
      { schema: { summary, tags, params: idParams, response: { 200: maintenanceSchema } } },
      async (request) => {
        const author = staffAuthor(request.actor);
        return presentMaintenance(await status.maintenance[action](request.params.id, author));
      },
    );

  api.get(
    '/console/status/uptime',
    {
      schema: {
        summary: 'A month’s uptime of the service a workspace uses (web app, API, database), and the downtime budget',
        tags,
        querystring: uptimeQuery,
        response: { 200: uptimeSchema },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      const month = request.query.month ?? new Date().toISOString().slice(0, 7);
      const period = monthOf(new Date(`${month}-01T00:00:00Z`));
      const figures = await status.history.uptime(serviceComponents, period, request.query.tenant);
      return {
        month,
        components: [...serviceComponents],
        ...figures,
        availability: figures.availability ?? null,
        target: promisedAvailability,
        budget: downtimeBudget(figures),
      };
    },
  );
}

const workspaceMaintenanceSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    underWay: z.boolean(),
    shortNotice: z.boolean(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'WorkspaceMaintenance' });

/**
 * A workspace's own view of maintenance, under `/api/v1` on its host: the windows under way or
 * ahead that affect it, from the moment each is scheduled. Open to everyone who can reach the
 * workspace (its sign-in page shows them before anyone signs in).
 */
export function maintenanceTenantApi(api: ApiScope, status: StatusService, clock: { now(): Date }): void {
  api.get(
    '/maintenance',
    {
      schema: {
        summary: 'Maintenance under way or scheduled that affects this workspace, soonest first',
        tags,
        response: { 200: z.array(workspaceMaintenanceSchema) },
      },
    },
    async (request) => {
      const now = clock.now();
      const windows = await status.maintenance.upcoming(now, requireTenant(request).slug);
      return windows.map((window) => ({
        id: window.id,
        title: window.title,
        description: window.description,
        startsAt: window.startsAt.toISOString(),
        endsAt: window.endsAt.toISOString(),
        underWay: window.startsAt <= now,
        shortNotice: window.shortNotice,
        reason: window.reason ?? null,
      }));
    },
  );
}
