import { z } from 'zod';
import { componentStates } from '../../platform/probes.js';

const componentState = z.enum(componentStates);
const incidentState = z.enum(['investigating', 'identified', 'monitoring', 'resolved']);
const componentIds = z.array(z.string().min(1).max(200)).min(1).max(100);
const tenantSlugs = z
  .array(z.string().min(1).max(63))
  .max(1000)
  .optional()
  .describe('The workspaces it affects; left out: every workspace.');

export const componentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(['builtin', 'http', 'tcp', 'tls']),
    target: z.record(z.string(), z.unknown()),
    public: z.boolean().describe('Shown on the status page.'),
    position: z.number().int(),
    state: componentState,
    maintenance: z.boolean().describe('Under announced or short-notice maintenance now.'),
    seenDownFrom: z.array(z.string()).describe('Probe locations that see an outage a quorum does not confirm.'),
    locations: z.array(
      z.object({
        location: z.string(),
        state: componentState,
        message: z.string(),
        responseMs: z.number().nullable(),
        at: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: 'StatusComponent' });

export const checkBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(300).optional(),
    kind: z.enum(['http', 'tcp', 'tls']),
    target: z
      .object({
        url: z.url().max(2000).optional(),
        expectStatus: z.number().int().min(100).max(599).optional(),
        keyword: z.string().min(1).max(200).optional(),
        host: z.string().min(1).max(253).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        warnDays: z.number().int().min(1).max(365).optional(),
      })
      .strict(),
    public: z.boolean().optional(),
  })
  .strict();

export const arrangeBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    public: z.boolean().optional(),
    position: z.number().int().min(0).max(100_000).optional(),
  })
  .strict();

export const incidentSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    state: incidentState,
    draft: z.boolean(),
    components: z.record(z.string(), componentState),
    tenants: z.array(z.string()).nullable(),
    openedBy: z.string(),
    startedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
    updates: z.array(z.object({ state: incidentState, message: z.string(), author: z.string(), at: z.iso.datetime() })),
  })
  .meta({ id: 'Incident' });

export const openIncidentBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    state: incidentState.exclude(['resolved']).optional(),
    message: z.string().trim().min(1).max(5000),
    components: z
      .record(z.string().min(1).max(200), componentState)
      .refine((components) => Object.keys(components).length > 0, 'Name at least one component it affects.'),
    tenants: tenantSlugs,
    startedAt: z.iso.datetime().optional().describe('When it began, if before now.'),
  })
  .strict();

export const incidentUpdateBody = z
  .object({
    state: incidentState,
    message: z.string().trim().min(1).max(5000),
    components: z.record(z.string().min(1).max(200), componentState).optional(),
  })
  .strict();

export const maintenanceSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    components: z.array(z.string()),
    tenants: z.array(z.string()).nullable(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    announcedAt: z.iso.datetime(),
    shortNotice: z.boolean(),
    reason: z.string().nullable(),
    scheduledBy: z.string(),
    cancelledAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Maintenance' });

export const maintenanceBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(5000).optional(),
    components: componentIds,
    tenants: tenantSlugs,
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    reason: z
      .string()
      .max(1000)
      .optional()
      .describe('Required when the window starts less than 24 hours from now (it is then short-notice).'),
  })
  .strict();

export const uptimeQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'A month is written YYYY-MM.')
      .optional()
      .describe('The calendar month (UTC); this month when left out.'),
    tenant: z.string().min(1).max(63).optional().describe("Counts that workspace's own incidents and maintenance too."),
  })
  .strict();

/** One row of the downtime-budget table: what a target allows of the period, and what is left. */
export const budgetRowSchema = z
  .object({
    target: z.number(),
    allowedMinutes: z.number(),
    usedMinutes: z.number(),
    remainingMinutes: z.number(),
    met: z.boolean(),
  })
  .meta({ id: 'BudgetRow' });

export const uptimeSchema = z
  .object({
    month: z.string(),
    components: z.array(z.string()),
    minutes: z.number(),
    operational: z.number(),
    degraded: z.number(),
    partialOutage: z.number(),
    majorOutage: z.number(),
    maintenance: z.number(),
    shortNoticeMaintenance: z.number(),
    noData: z.number(),
    downtimeMinutes: z.number(),
    countedMinutes: z.number(),
    availability: z.number().nullable(),
    target: z.number(),
    budget: z.array(budgetRowSchema),
  })
  .meta({ id: 'Uptime' });

export const idParams = z.object({ id: z.string().min(1).max(200) }).strict();
