import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { assertAllowed, canChangeOwnAccount, canRead } from './identity.policy.js';
import { requestClient } from './identity.routes.js';
import type { IdentityService } from './identity.service.js';
import type { TokenView } from './identity.tokens-store.js';

const tags = ['identity'];

const tokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: z.enum(['read', 'read-write']),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe('Recorded at most once an hour.'),
  })
  .meta({ id: 'ApiToken' });

const createTokenBody = z.object({
  name: z.string().trim().min(1, 'Name the token, e.g. "CI deploys".').max(100),
  scope: z.enum(['read', 'read-write']).describe('`read` only reads; `read-write` acts with your role.'),
  expiresInDays: z.number().int().min(1).max(365).default(90).describe('Between 1 and 365 days; 90 unless given.'),
});

const present = (token: TokenView) => ({
  ...token,
  createdAt: token.createdAt.toISOString(),
  expiresAt: token.expiresAt.toISOString(),
  lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
});

/** Personal API tokens, managed by their owner: listed, made (shown once) and revoked. */
export function tokenApi(api: ApiScope, identity: IdentityService): void {
  api.get(
    '/me/tokens',
    {
      schema: { summary: 'Your live API tokens (never their secrets)', tags, response: { 200: z.array(tokenSchema) } },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canRead, 'list API tokens');
      return (await identity.accounts.tokens(requireTenant(request).slug, actor.userId)).map(present);
    },
  );

  api.post(
    '/me/tokens',
    {
      schema: {
        summary: 'Makes an API token; its secret is in this answer only',
        tags,
        body: createTokenBody,
        response: {
          201: tokenSchema.extend({
            token: z.string().describe('Send it as `Authorization: Bearer <token>`. It is not shown again.'),
          }),
        },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'make API tokens');
      if (!actor.sessionId)
        throw appError('FORBIDDEN', 'API tokens are made from a signed-in session, not with another token.');
      const { token, view } = await identity.accounts.createToken(
        requireTenant(request).slug,
        actor,
        request.body,
        requestClient(request),
      );
      return reply.status(201).send({ ...present(view), token });
    },
  );

  api.delete(
    '/me/tokens/:id',
    {
      schema: {
        summary: 'Revokes one of your API tokens',
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'revoke API tokens');
      const revoked = await identity.accounts.revokeToken(
        requireTenant(request).slug,
        actor,
        request.params.id,
        requestClient(request),
      );
      if (!revoked) throw appError('NOT_FOUND', 'You have no live API token with that id.');
      return reply.status(204).send(null);
    },
  );
}
