import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import type { InvitationView } from './identity.invitations.js';
import { assertAllowed, assertMaySee, canManageMembers, canSeeAdminPages } from './identity.policy.js';
import { requestClient, respondSignedIn, strictRateLimit } from './identity.routes.js';
import { emailSchema, meSchema, passwordField, roleSchema } from './identity.schema.js';
import type { IdentityService } from './identity.service.js';

const tags = ['identity'];
const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: roleSchema,
    invitedBy: z.string().nullable(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'Invitation' });
const presentInvitation = (view: InvitationView) => ({
  ...view,
  createdAt: view.createdAt.toISOString(),
  expiresAt: view.expiresAt.toISOString(),
});
/** A single-use token from a mailed link (it travels in the link's #fragment, never in a URL a server logs). */
const linkToken = z.string().trim().min(20, 'The link is incomplete: open it exactly as it was mailed.').max(100);
const nameField = z.string().trim().min(1, 'Give your name.').max(200);

/**
 * Invitations (admins send them; the invited accept them) and password resets by mail. The
 * accepting and resetting routes need no session: the mailed link is the proof.
 */
export function invitationApi(
  api: ApiScope,
  identity: IdentityService,
  settings: { secretKey: string; signInRateLimitPerMinute: number },
): void {
  const strictLimit = strictRateLimit(settings);

  api.get(
    '/invitations',
    { schema: { summary: 'Open invitations', tags, response: { 200: z.array(invitationSchema) } } },
    async (request) => {
      assertMaySee(request.actor, canSeeAdminPages, 'see invitations');
      return (await identity.invitations(requireTenant(request).slug)).map(presentInvitation);
    },
  );

  api.post(
    '/invitations',
    {
      schema: {
        summary: 'Invites someone by email (a link good once, for 7 days); inviting again replaces the link',
        tags,
        body: z.object({ email: emailSchema, role: roleSchema.default('member') }),
        response: { 201: invitationSchema },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canManageMembers, 'invite people');
      const tenant = requireTenant(request);
      const view = await identity.invite(tenant.slug, actor, request.body, requestClient(request), tenant);
      return reply.status(201).send(presentInvitation(view));
    },
  );

  api.delete(
    '/invitations/:id',
    {
      schema: {
        summary: 'Withdraws an open invitation',
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canManageMembers, 'withdraw invitations');
      await identity.revokeInvitation(requireTenant(request).slug, actor, request.params.id, requestClient(request));
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/invitations/lookup',
    {
      schema: {
        summary: 'What an invitation link offers: the address and the role',
        tags,
        body: z.object({ token: linkToken }),
        response: { 200: z.object({ email: z.string(), role: roleSchema, workspace: z.string() }) },
      },
      config: { rateLimit: strictLimit },
    },
    async (request) => {
      const tenant = requireTenant(request);
      return { ...(await identity.openInvitation(tenant.slug, request.body.token)), workspace: tenant.name };
    },
  );

  api.post(
    '/invitations/accept',
    {
      schema: {
        summary: 'Accepts an invitation: makes your account and signs you in',
        tags,
        body: z.object({ token: linkToken, name: nameField, password: passwordField }),
        response: { 200: meSchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const outcome = await identity.acceptInvitation(
        requireTenant(request).slug,
        request.body,
        requestClient(request),
      );
      return respondSignedIn(request, reply, outcome, identity, settings.secretKey);
    },
  );

  api.post(
    '/password-resets',
    {
      schema: {
        summary: 'Mails a password reset link, if the address has an account; the answer is the same either way',
        tags,
        body: z.object({ email: emailSchema }),
        response: { 202: z.object({ message: z.string() }) },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const tenant = requireTenant(request);
      await identity.requestReset(tenant.slug, request.body.email, requestClient(request), tenant);
      return reply.status(202).send({
        message: `If ${request.body.email} has an account in ${tenant.name}, a link to choose a new password is on its way. It works once, for 30 minutes.`,
      });
    },
  );

  api.post(
    '/password-resets/complete',
    {
      schema: {
        summary: 'Sets a new password with a reset link; every session of the account ends',
        tags,
        body: z.object({ token: linkToken, password: passwordField }),
        response: { 204: z.null() },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      await identity.finishReset(requireTenant(request).slug, request.body, requestClient(request));
      return reply.status(204).send(null);
    },
  );
}
