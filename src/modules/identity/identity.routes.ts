import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { clearSessionCookie, setSessionCookie } from './identity.auth.js';
import { assertAllowed, canChangeOwnAccount, requireUser } from './identity.policy.js';
import { meSchema, sessionSchema, signInBody } from './identity.schema.js';
import type { IdentityService, UserView } from './identity.service.js';
import { csrfToken } from './identity.tokens.js';

const tags = ['identity'];

/** Where a request comes from, for sessions and audit entries. */
export const requestClient = (request: { ip: string; headers: Record<string, string | string[] | undefined> }) => ({
  ip: request.ip,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
});
const present = (user: UserView) => ({ ...user, createdAt: user.createdAt.toISOString() });

/** Signing in and out, who one is, and one's sessions; under `/api/v1` on a workspace's host. */
export function identityApi(
  api: ApiScope,
  identity: IdentityService,
  settings: { secretKey: string; signInRateLimitPerMinute: number },
): void {
  const { secretKey } = settings;
  const signInRateLimit = { max: settings.signInRateLimitPerMinute, timeWindow: 60_000 };
  const client = requestClient;

  api.post(
    '/session',
    {
      schema: {
        summary: 'Sign in with an email address and a password',
        tags,
        body: signInBody,
        response: { 200: meSchema },
      },
      // Stricter than the workspace's limit: guessing passwords from one address is slow whatever the account.
      config: { rateLimit: signInRateLimit },
    },
    async (request, reply) => {
      const slug = requireTenant(request).slug;
      const { token, holder } = await identity.signIn(slug, request.body, client(request));
      setSessionCookie(request, reply, token);
      const user = await identity.user(slug, holder.userId);
      return { user: present(user!), csrfToken: csrfToken(secretKey, holder.sessionId) };
    },
  );

  api.delete(
    '/session',
    { schema: { summary: 'Sign out: ends this session', tags, response: { 204: z.null() } } },
    async (request, reply) => {
      const actor = requireUser(request.actor);
      if (actor.sessionId)
        await identity.signOut(
          requireTenant(request).slug,
          { sessionId: actor.sessionId, userId: actor.userId, email: actor.name, role: actor.role },
          client(request),
        );
      clearSessionCookie(request, reply);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/me',
    { schema: { summary: 'The signed-in person', tags, response: { 200: meSchema } } },
    async (request) => {
      const actor = requireUser(request.actor);
      const user = await identity.user(requireTenant(request).slug, actor.userId);
      if (!user) throw appError('UNAUTHENTICATED', 'This account no longer exists. Sign in again.');
      return { user: present(user), csrfToken: actor.sessionId ? csrfToken(secretKey, actor.sessionId) : null };
    },
  );

  api.get(
    '/me/sessions',
    { schema: { summary: "One's own live sessions", tags, response: { 200: z.array(sessionSchema) } } },
    async (request) => {
      const actor = requireUser(request.actor);
      const sessions = await identity.sessions(requireTenant(request).slug, actor.userId);
      return sessions.map((session) => ({
        ...session,
        createdAt: session.createdAt.toISOString(),
        lastSeenAt: session.lastSeenAt.toISOString(),
        current: session.id === actor.sessionId,
      }));
    },
  );

  api.delete(
    '/me/sessions/:id',
    {
      schema: {
        summary: 'Ends one of your sessions (signs that device out)',
        tags,
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'sign other devices out');
      const ended = await identity.revokeSession(
        requireTenant(request).slug,
        actor,
        request.params.id,
        client(request),
      );
      if (!ended) throw appError('NOT_FOUND', 'You have no live session with that id.');
      return reply.status(204).send(null);
    },
  );
}
