import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { clearSessionCookie, setSessionCookie } from './identity.auth.js';
import { presentGrant } from './identity.console-routes.js';
import { assertAllowed, assertMaySee, canManageSecurity, canSeeAdminPages, isSupport } from './identity.policy.js';
import { requestClient, strictRateLimit } from './identity.routes.js';
import { meSchema } from './identity.schema.js';
import { grantSchema, setupTokenBody } from './identity.staff-schema.js';
import type { SupportHolder, SupportService } from './identity.support.js';
import { supportMe } from './identity.staff-auth.js';

const tags = ['support access'];

const holderActor = (holder: SupportHolder) => ({ ...holder, name: holder.email });

/**
 * Support access on a workspace's host, under `/api/v1/support`: staff exchange an entry link for
 * a session (and leave); the workspace's owners and admins see every grant, approve or deny a
 * pending one, and revoke a running one. Every request support makes is written to the
 * workspace's audit log (`support.request`, with the grant), whatever it answered.
 */
export function supportApi(
  api: ApiScope,
  support: SupportService,
  settings: { secretKey: string; signInRateLimitPerMinute: number },
): void {
  const { secretKey } = settings;
  const client = requestClient;

  // Before the answer leaves (onSend): the entry is committed by the time support sees the page.
  api.addHook('onSend', async (request, reply, payload) => {
    if (!request.actor || !isSupport(request.actor)) return payload;
    // No entry, no answer: a failure to record turns the reply into an error.
    await support.recordRequest(requireTenant(request).slug, request.actor, {
      method: request.method,
      path: request.url.split('?')[0]!,
      status: reply.statusCode,
      ip: request.ip,
    });
    return payload;
  });

  api.post(
    '/support/session',
    {
      schema: {
        summary: "Support enters the workspace: exchanges a one-time entry link's token for a support session",
        tags,
        body: setupTokenBody,
        response: { 200: meSchema },
      },
      config: { rateLimit: strictRateLimit(settings) },
    },
    async (request, reply) => {
      const entered = await support.enter(requireTenant(request).slug, request.body.token, client(request));
      setSessionCookie(request, reply, entered.token, 'steadfast_support');
      return supportMe(holderActor(entered.holder), secretKey);
    },
  );

  api.delete(
    '/support/session',
    {
      schema: {
        summary: 'Support leaves the workspace (the grant runs on until it ends)',
        tags,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      if (!isSupport(request.actor)) throw appError('UNAUTHENTICATED', 'There is no support session here to leave.');
      const actor = request.actor;
      await support.leave(requireTenant(request).slug, { ...actor, email: actor.name }, client(request));
      clearSessionCookie(request, reply, 'steadfast_support');
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/support/grants',
    {
      schema: {
        summary: 'Support grants to this workspace, newest first: who, why, how long, who decided',
        tags,
        response: { 200: z.array(grantSchema) },
      },
    },
    async (request) => {
      assertMaySee(request.actor, canSeeAdminPages, 'see support grants');
      return (await support.list({ tenant: requireTenant(request).slug })).map(presentGrant);
    },
  );

  for (const [verb, approve] of [
    ['approve', true],
    ['deny', false],
  ] as const)
    api.post(
      `/support/grants/:id/${verb}`,
      {
        schema: {
          summary: approve
            ? 'Approves a pending support request: the access runs from now for its minutes'
            : 'Denies a pending support request',
          tags,
          params: z.object({ id: z.uuid() }),
          response: { 200: grantSchema },
        },
      },
      async (request) => {
        const actor = assertAllowed(request.actor, canManageSecurity, `${verb} support access`);
        const grant = await support.decide(
          requireTenant(request).slug,
          actor,
          request.params.id,
          approve,
          client(request),
        );
        return presentGrant(grant);
      },
    );

  api.delete(
    '/support/grants/:id',
    {
      schema: {
        summary: 'Revokes a support grant: support is out at once',
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 200: grantSchema },
      },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canManageSecurity, 'revoke support access');
      const grant = await support.end(
        request.params.id,
        { actor: `user:${actor.name}`, tenant: requireTenant(request).slug },
        client(request),
      );
      return presentGrant(grant);
    },
  );
}
