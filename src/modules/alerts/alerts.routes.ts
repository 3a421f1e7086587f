import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { staffAuthor } from '../status/index.js';
import type { AlertsService } from './alerts.service.js';

const tags = ['alerts'];

const ruleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['state', 'figure']),
    figure: z.string().nullable(),
    op: z.enum(['>', '<']).nullable(),
    threshold: z.number().nullable(),
    forChecks: z.number().int(),
    enabled: z.boolean(),
  })
  .meta({ id: 'AlertRule' });

const channelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['email', 'webhook']),
    target: z.string(),
    enabled: z.boolean(),
  })
  .meta({ id: 'AlertChannel' });

const channelBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('email'), name: z.string().trim().min(1).max(100), target: z.email().max(320) }).strict(),
  z
    .object({
      kind: z.literal('webhook'),
      name: z.string().trim().min(1).max(100),
      target: z.url({ protocol: /^https?$/ }).max(2000),
    })
    .strict(),
]);

const ruleBody = z
  .object({
    enabled: z.boolean().optional(),
    threshold: z.number().finite().optional(),
    forChecks: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('Bad checks in a row before it fires (and good ones before it recovers).'),
  })
  .strict();

const id = z.object({ id: z.string().min(1).max(100) }).strict();

/** Alert rules, channels and what fired, in the staff console under `/api/v1/console/alerts`. */
export function alertsConsoleApi(api: ApiScope, alerts: AlertsService): void {
  api.get(
    '/console/alerts/rules',
    { schema: { summary: 'The alert rules, defaults included', tags, response: { 200: z.array(ruleSchema) } } },
    async (request) => {
      staffAuthor(request.actor);
      return (await alerts.rules()).map(presentRule);
    },
  );

  api.patch(
    '/console/alerts/rules/:id',
    {
      schema: {
        summary: 'Turns a rule on or off, or changes its threshold or how many checks it waits',
        tags,
        params: id,
        body: ruleBody,
        response: { 200: ruleSchema },
      },
    },
    async (request) =>
      presentRule(await alerts.changeRule(request.params.id, request.body, staffAuthor(request.actor))),
  );

  api.get(
    '/console/alerts/channels',
    { schema: { summary: 'Where alerts go', tags, response: { 200: z.array(channelSchema) } } },
    async (request) => {
      staffAuthor(request.actor);
      return alerts.channels();
    },
  );

  api.post(
    '/console/alerts/channels',
    {
      schema: {
        summary: 'Adds an email address or a webhook for alerts',
        description:
          'A webhook\'s signing secret is in this answer and never again: each delivery carries `Steadfast-Timestamp` and `Steadfast-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.',
        tags,
        body: channelBody,
        response: { 201: z.object({ channel: channelSchema, secret: z.string().optional() }) },
      },
    },
    async (request, reply) => {
      const added = await alerts.addChannel(request.body, staffAuthor(request.actor));
      return reply.status(201).send(added);
    },
  );

  api.delete(
    '/console/alerts/channels/:id',
    { schema: { summary: 'Removes a channel', tags, params: id } },
    async (request, reply) => {
      await alerts.removeChannel(request.params.id, staffAuthor(request.actor));
      return reply.status(204).send();
    },
  );

  api.post(
    '/console/alerts/channels/:id/test',
    { schema: { summary: 'Sends a test alert to one channel', tags, params: id } },
    async (request, reply) => {
      await alerts.test(request.params.id, staffAuthor(request.actor));
      return reply.status(202).send();
    },
  );

  api.get(
    '/console/alerts',
    {
      schema: {
        summary: 'What fires now, and the notices sent (the last 200, newest first)',
        tags,
        response: {
          200: z.object({
            firing: z.array(
              z.object({
                ruleId: z.string(),
                subject: z.string(),
                since: z.iso.datetime(),
                message: z.string(),
                flapping: z.boolean(),
              }),
            ),
            notices: z.array(
              z.object({
                id: z.string(),
                ruleId: z.string(),
                subject: z.string(),
                kind: z.enum(['firing', 'recovered', 'flapping', 'settled']),
                message: z.string(),
                at: z.iso.datetime(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      staffAuthor(request.actor);
      const [firing, notices] = await Promise.all([alerts.firing(), alerts.notices()]);
      return {
        firing: firing.map((alert) => ({ ...alert, since: alert.since.toISOString() })),
        notices: notices.map((notice) => ({
          id: notice.id,
          ruleId: notice.rule_id,
          subject: notice.subject,
          kind: notice.kind,
          message: notice.message,
          at: notice.at.toISOString(),
        })),
      };
    },
  );
}

const presentRule = (rule: Awaited<ReturnType<AlertsService['rules']>>[number]) => ({
  id: rule.id,
  name: rule.name,
  kind: rule.kind,
  figure: rule.figure,
  op: rule.op,
  threshold: rule.threshold,
  forChecks: rule.for_checks,
  enabled: rule.enabled,
});
