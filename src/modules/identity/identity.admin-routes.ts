import { z } from 'zod';
import { toCsvLines } from '../../platform/csv.js';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import {
  assertAllowed,
  assertMaySee,
  canManageMembers,
  canManageSecurity,
  canRead,
  canReadAudit,
  canSeeAdminPages,
} from './identity.policy.js';
import { requestClient } from './identity.routes.js';
import { roleSchema } from './identity.schema.js';
import { maxAllowListEntries, normalEntry } from './identity.allow-list.js';
import type { IdentityService } from './identity.service.js';
import type { MemberView } from './identity.members.js';
import type { AuditEntry } from './identity.audit.js';

const tags = ['identity'];

const memberSchema = z
  .object({ id: z.uuid(), email: z.string(), name: z.string(), role: roleSchema, createdAt: z.iso.datetime() })
  .meta({ id: 'Member' });
const presentMember = (member: MemberView) => ({ ...member, createdAt: member.createdAt.toISOString() });

const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.iso.datetime(),
    actor: z.string().describe('`user:<email>`, `staff:<email>`, `operator:<name>`, `system:<name>` or `anonymous`.'),
    action: z.string(),
    target: z.string().nullable(),
    ip: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });

const securitySchema = z
  .object({
    requireTwoFactor: z
      .boolean()
      .describe('Everyone needs a second factor; someone without one can do nothing else until they set it up.'),
    ipAllowList: z
      .array(
        z
          .string()
          .max(60)
          .refine((entry) => normalEntry(entry) !== undefined, {
            message: 'Each entry is an IPv4 or IPv6 address or a CIDR block, like 203.0.113.0/24 or 2001:db8::/32.',
          }),
      )
      .max(maxAllowListEntries)
      .describe('Addresses and CIDR blocks that may reach the workspace (app and API); empty: every address.'),
    supportApproval: z
      .boolean()
      .describe("The platform's support staff enter only after an owner or admin approves each request."),
  })
  .strict()
  .meta({ id: 'SecuritySettings' });
const securityChange = securitySchema
  .partial()
  .extend({
    confirmLockout: z
      .boolean()
      .optional()
      .describe('Save an allow-list that does not hold your own address (you would be shut out).'),
  })
  .strict();

export const auditQuery = z.object({
  action: z
    .string()
    .regex(/^[a-z][a-z0-9_.]{0,99}$/, 'An action looks like session.signed_in, or a prefix of one like session.')
    .optional()
    .describe('An action, or a prefix of one ending in a dot (`session.`).'),
  actor: z.string().max(300).optional().describe('Entries by this actor exactly, e.g. `user:ada@example.com`.'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional().describe('Entries older than this id: the next page.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.infer<typeof auditQuery>;

const presentEntry = (entry: AuditEntry) => ({ ...entry, at: entry.at.toISOString() });

/** Members and roles, and the audit log, for a workspace's admins. */
export function adminApi(api: ApiScope, identity: IdentityService): void {
  api.get(
    '/members',
    { schema: { summary: "The workspace's members", tags, response: { 200: z.array(memberSchema) } } },
    async (request) => {
      assertMaySee(request.actor, canRead, 'see the members');
      return (await identity.members(requireTenant(request).slug)).map(presentMember);
    },
  );

  api.patch(
    '/members/:id',
    {
      schema: {
        summary: "Changes a member's role",
        tags,
        params: z.object({ id: z.uuid() }),
        body: z.object({ role: roleSchema }),
        response: { 200: memberSchema },
      },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canManageMembers, 'change roles');
      const member = await identity.changeRole(
        requireTenant(request).slug,
        actor,
        request.params.id,
        request.body.role,
        requestClient(request),
      );
      return presentMember(member);
    },
  );

  api.delete(
    '/members/:id',
    {
      schema: {
        summary: 'Removes a member: their sessions and tokens end',
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canManageMembers, 'remove members');
      await identity.removeMember(requireTenant(request).slug, actor, request.params.id, requestClient(request));
      return reply.status(204).send(null);
    },
  );

  api.delete(
    '/members/:id/second-factors',
    {
      schema: {
        summary:
          "Resets a member's lost second factors (authenticator app, recovery codes, passkeys); their sessions end",
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canManageMembers, "reset members' second factors");
      await identity.resetSecondFactors(requireTenant(request).slug, actor, request.params.id, requestClient(request));
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/security',
    { schema: { summary: "The workspace's sign-in rules", tags, response: { 200: securitySchema } } },
    async (request) => {
      assertMaySee(request.actor, canSeeAdminPages, 'see the sign-in rules');
      return identity.securitySettings(requireTenant(request).slug);
    },
  );

  api.patch(
    '/security',
    {
      schema: {
        summary: "Changes the workspace's sign-in rules",
        tags,
        body: securityChange,
        response: { 200: securitySchema },
      },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canManageSecurity, 'change the sign-in rules');
      return identity.updateSecuritySettings(requireTenant(request).slug, actor, request.body, requestClient(request));
    },
  );

  api.get(
    '/audit',
    {
      schema: {
        summary: 'The audit log, newest first, filtered; page with `before`',
        tags,
        querystring: auditQuery,
        response: { 200: z.object({ entries: z.array(auditEntrySchema), next: z.number().int().nullable() }) },
      },
    },
    async (request) => {
      assertMaySee(request.actor, canReadAudit, 'read the audit log');
      const entries = await identity.auditEntries(requireTenant(request).slug, request.query);
      const next = entries.length === request.query.limit ? entries.at(-1)!.id : null;
      return { entries: entries.map(presentEntry), next };
    },
  );

  api.get(
    '/audit.csv',
    {
      schema: {
        summary: 'The audit log as CSV (the same filters; up to 100,000 entries)',
        tags,
        querystring: auditQuery.omit({ limit: true, before: true }),
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      assertMaySee(request.actor, canReadAudit, 'export the audit log');
      const tenant = requireTenant(request).slug;
      const entries = await identity.auditEntries(tenant, { ...request.query, limit: 100_000 });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${tenant}-audit.csv"`)
        .send(toCsv(entries));
    },
  );
}

/** The audit log as CSV (platform/csv.ts). */
export function toCsv(entries: readonly AuditEntry[]): string {
  return toCsvLines(
    ['id', 'at', 'actor', 'action', 'target', 'ip', 'detail'],
    entries.map((e) => [e.id, e.at.toISOString(), e.actor, e.action, e.target, e.ip, e.detail]),
  );
}
