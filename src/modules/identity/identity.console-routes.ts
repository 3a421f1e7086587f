import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import type { TenantView } from '../tenancy/index.js';
import { clearSessionCookie, setSessionCookie } from './identity.auth.js';
import { requestClient, strictRateLimit } from './identity.routes.js';
import type { StaffService, StaffSignedIn } from './identity.staff.js';
import {
  consoleMeSchema,
  consoleTenantSchema,
  grantRequestBody,
  grantSchema,
  platformAuditSchema,
  setupBody,
  setupSchema,
  setupTokenBody,
  staffSignInBody,
} from './identity.staff-schema.js';
import type { GrantView, SupportService } from './identity.support.js';
import { csrfToken } from './identity.tokens.js';

const tags = ['console'];

type StaffActor = Extract<Actor, { kind: 'staff' }>;

/** The signed-in member of staff, or 401. */
export function requireStaff(actor: Actor): StaffActor {
  if (actor.kind !== 'staff') throw appError('UNAUTHENTICATED', 'Sign in to the console first.');
  return actor;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const presentGrant = (grant: GrantView) => ({
  ...grant,
  createdAt: grant.createdAt.toISOString(),
  expiresAt: grant.expiresAt.toISOString(),
  decidedAt: iso(grant.decidedAt),
  endedAt: iso(grant.endedAt),
});

/**
 * The staff console's API, under `/api/v1/console` on `console.<base domain>`: setup from the
 * one-time link, sign-in (password and authenticator code together), the workspaces, and
 * support grants (ask, enter through a one-time link, end), and the platform audit log.
 */
export function consoleApi(
  api: ApiScope,
  deps: {
    staff: StaffService;
    support: SupportService;
    workspaces: () => Promise<TenantView[]>;
    secretKey: string;
    signInRateLimitPerMinute: number;
  },
): void {
  const { staff, support, secretKey } = deps;
  const strictLimit = { rateLimit: strictRateLimit(deps) };
  const signedIn = (request: FastifyRequest, reply: FastifyReply, outcome: StaffSignedIn) => {
    setSessionCookie(request, reply, outcome.token, 'steadfast_console');
    const { holder } = outcome;
    return {
      staff: { id: holder.staffId, email: holder.email, name: holder.name },
      csrfToken: csrfToken(secretKey, holder.sessionId),
    };
  };

  api.post(
    '/console/setup/open',
    {
      schema: {
        summary: 'Opens a staff setup link: who it is for, and the authenticator secret to scan',
        tags,
        body: setupTokenBody,
        response: { 200: setupSchema },
      },
      config: strictLimit,
    },
    (request) => staff.openSetup(request.body.token),
  );

  api.post(
    '/console/setup',
    {
      schema: {
        summary: 'Finishes a staff setup: a password and the first code from the authenticator app',
        tags,
        body: setupBody,
        response: { 200: consoleMeSchema },
      },
      config: strictLimit,
    },
    async (request, reply) => signedIn(request, reply, await staff.completeSetup(request.body, requestClient(request))),
  );

  api.post(
    '/console/session',
    {
      schema: {
        summary: 'Signs a member of staff in: email, password and authenticator code',
        tags,
        body: staffSignInBody,
        response: { 200: consoleMeSchema },
      },
      config: strictLimit,
    },
    async (request, reply) => signedIn(request, reply, await staff.signIn(request.body, requestClient(request))),
  );

  api.delete(
    '/console/session',
    { schema: { summary: 'Signs out of the console', tags, response: { 204: z.null() } } },
    async (request, reply) => {
      const actor = requireStaff(request.actor);
      await staff.signOut({ sessionId: actor.sessionId, email: actor.name }, requestClient(request));
      clearSessionCookie(request, reply, 'steadfast_console');
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/console/me',
    { schema: { summary: 'The signed-in member of staff', tags, response: { 200: consoleMeSchema } } },
    async (request) => {
      const actor = requireStaff(request.actor);
      const me = await staff.find(actor.staffId);
      if (!me) throw appError('UNAUTHENTICATED', 'This staff account no longer exists.');
      return {
        staff: { id: me.id, email: me.email, name: me.name },
        csrfToken: csrfToken(secretKey, actor.sessionId),
      };
    },
  );

  api.get(
    '/console/tenants',
    { schema: { summary: 'Every workspace', tags, response: { 200: z.array(consoleTenantSchema) } } },
    async (request) => {
      requireStaff(request.actor);
      return (await deps.workspaces()).map(({ slug, name, status, url, createdAt }) => ({
        slug,
        name,
        status,
        url,
        createdAt,
      }));
    },
  );

  api.get(
    '/console/grants',
    { schema: { summary: 'Support grants, newest first', tags, response: { 200: z.array(grantSchema) } } },
    async (request) => {
      requireStaff(request.actor);
      return (await support.list()).map(presentGrant);
    },
  );

  api.post(
    '/console/grants',
    {
      schema: {
        summary: 'Asks to enter a workspace: a reason and how long',
        description:
          "Active at once, or `pending` until an owner or admin of the workspace approves it, when the workspace asks for that (they are mailed). Written to the workspace's audit log.",
        tags,
        body: grantRequestBody,
        response: { 201: grantSchema },
      },
    },
    async (request, reply) => {
      const actor = requireStaff(request.actor);
      const grant = await support.request(
        { staffId: actor.staffId, name: actor.name },
        request.body,
        requestClient(request),
      );
      return reply.status(201).send(presentGrant(grant));
    },
  );

  api.post(
    '/console/grants/:id/entry',
    {
      schema: {
        summary: "A one-time link into the workspace under one's own active grant (valid two minutes)",
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 200: z.object({ url: z.string(), expiresAt: z.iso.datetime() }) },
      },
    },
    async (request) => {
      const actor = requireStaff(request.actor);
      const link = await support.entryLink(
        { staffId: actor.staffId, name: actor.name },
        request.params.id,
        requestClient(request),
      );
      return { url: link.url, expiresAt: link.expiresAt.toISOString() };
    },
  );

  api.delete(
    '/console/grants/:id',
    {
      schema: {
        summary: "Ends one's own grant early, and every session under it",
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 200: grantSchema },
      },
    },
    async (request) => {
      const actor = requireStaff(request.actor);
      const grant = await support.end(
        request.params.id,
        { actor: `staff:${actor.name}`, staffId: actor.staffId },
        requestClient(request),
      );
      return presentGrant(grant);
    },
  );

  api.get(
    '/console/audit',
    {
      schema: {
        summary: 'The platform audit log, newest first (the last 200 entries)',
        tags,
        response: { 200: z.array(platformAuditSchema) },
      },
    },
    async (request) => {
      requireStaff(request.actor);
      return (await staff.auditEntries()).map((entry) => ({
        id: entry.id,
        at: entry.at.toISOString(),
        actor: entry.actor,
        action: entry.action,
        tenant: entry.tenant_slug,
        detail: entry.detail,
      }));
    },
  );
}
