import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { clearSessionCookie, setSessionCookie } from './identity.auth.js';
import {
  assertAllowed,
  canChangeOwnAccount,
  isSupport,
  requireSignedIn,
  requireUser,
  type UserActor,
} from './identity.policy.js';
import { supportMe } from './identity.staff-auth.js';
import {
  meSchema,
  secondFactorBody,
  secondFactorSchema,
  sessionSchema,
  signInBody,
  webauthnResponse,
} from './identity.schema.js';
import type { RelyingParty } from './identity.passkeys.js';
import type { IdentityService, SignedIn, UserView } from './identity.service.js';
import { csrfToken } from './identity.tokens.js';

const tags = ['identity'];

/** Where a request comes from, for sessions and audit entries. */
export const requestClient = (request: { ip: string; headers: Record<string, string | string[] | undefined> }) => ({
  ip: request.ip,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
});
const present = (user: UserView) => ({ ...user, createdAt: user.createdAt.toISOString() });

/** The sign-in routes' own limit per client address (config signInRateLimitPerMinute): sign-in, its second step, resets, invitations. */
export const strictRateLimit = (settings: { signInRateLimitPerMinute: number }) => ({
  max: settings.signInRateLimitPerMinute,
  timeWindow: 60_000,
});

/** WebAuthn options as the JSON object they are (the library's types name every field). */
export const json = (options: object): Record<string, unknown> => options as Record<string, unknown>;

/** The workspace as a WebAuthn relying party: its host is the RP ID, the address the browser is at the origin. */
export function relyingParty(request: FastifyRequest): RelyingParty {
  return { id: request.hostname, origin: `${request.protocol}://${request.host}`, name: requireTenant(request).name };
}

/** Sets a new session's cookie and answers who signed in, with the session's CSRF token. */
export function respondSignedIn(
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: SignedIn,
  identity: IdentityService,
  secretKey: string,
) {
  setSessionCookie(request, reply, outcome.token);
  return me(request, identity, secretKey, {
    kind: 'user',
    name: outcome.holder.email,
    userId: outcome.holder.userId,
    role: outcome.holder.role,
    sessionId: outcome.holder.sessionId,
  });
}

/** Who the actor is, what they have set up, and (for a session) its CSRF token. */
async function me(request: FastifyRequest, identity: IdentityService, secretKey: string, actor: UserActor) {
  const slug = requireTenant(request).slug;
  const user = await identity.user(slug, actor.userId);
  if (!user) throw appError('UNAUTHENTICATED', 'This account no longer exists. Sign in again.');
  return {
    user: present(user),
    csrfToken: actor.sessionId ? csrfToken(secretKey, actor.sessionId) : null,
    twoFactor: {
      ...(await identity.accounts.twoFactorStatus(slug, actor.userId)),
      setupRequired: Boolean(actor.mustSetUpTwoFactor),
    },
  };
}

/** Signing in and out, who one is, and one's sessions; under `/api/v1` on a workspace's host. */
export function identityApi(
  api: ApiScope,
  identity: IdentityService,
  settings: { secretKey: string; signInRateLimitPerMinute: number },
): void {
  const { secretKey } = settings;
  const strictLimit = strictRateLimit(settings);
  const client = requestClient;
  const signedIn = (request: FastifyRequest, reply: FastifyReply, outcome: SignedIn) =>
    respondSignedIn(request, reply, outcome, identity, secretKey);

  api.post(
    '/session',
    {
      schema: {
        summary: 'Sign in with an email address and a password',
        description:
          'Answers the signed-in person, or, for an account with a second factor, `secondFactor`: a challenge to send with the code to POST /api/v1/session/second-factor.',
        tags,
        body: signInBody,
        response: { 200: z.union([meSchema, secondFactorSchema]) },
      },
      // Stricter than the workspace's limit: guessing passwords from one address is slow whatever the account.
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const outcome = await identity.signIn(requireTenant(request).slug, request.body, client(request));
      if (outcome.kind === 'second-factor')
        return { secondFactor: { challenge: outcome.challenge, methods: outcome.methods } };
      return signedIn(request, reply, outcome);
    },
  );

  api.post(
    '/session/second-factor',
    {
      schema: {
        summary: 'Sign in, second step: a code from the authenticator app or a recovery code',
        tags,
        body: secondFactorBody,
        response: { 200: meSchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const { passkey, ...codes } = request.body;
      const outcome = await identity.signInSecondFactor(
        requireTenant(request).slug,
        { ...codes, ...(passkey ? { passkey: { rp: relyingParty(request), response: passkey as never } } : {}) },
        client(request),
      );
      return signedIn(request, reply, outcome);
    },
  );

  api.post(
    '/session/second-factor/passkey-options',
    {
      schema: {
        summary: 'Sign in, second step by passkey: the options for the browser (navigator.credentials.get)',
        tags,
        body: z.object({ challenge: z.string().min(1).max(100) }),
        response: { 200: z.record(z.string(), z.unknown()) },
      },
      config: { rateLimit: strictLimit },
    },
    async (request) =>
      json(
        await identity.passkeySignInOptions(requireTenant(request).slug, relyingParty(request), request.body.challenge),
      ),
  );

  api.post(
    '/session/passkey-options',
    {
      schema: {
        summary: 'Sign in with a passkey alone: the options for the browser (navigator.credentials.get)',
        tags,
        response: { 200: z.record(z.string(), z.unknown()) },
      },
      config: { rateLimit: strictLimit },
    },
    async (request) => json(await identity.passkeySignInOptions(requireTenant(request).slug, relyingParty(request))),
  );

  api.post(
    '/session/passkey',
    {
      schema: {
        summary: "Sign in with a passkey alone: the browser's answer to the options",
        tags,
        body: z.object({ response: webauthnResponse }),
        response: { 200: meSchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const outcome = await identity.signInWithPasskey(
        requireTenant(request).slug,
        relyingParty(request),
        request.body.response as never,
        client(request),
      );
      return signedIn(request, reply, outcome);
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

  api.get('/me', { schema: { summary: 'The signed-in person', tags, response: { 200: meSchema } } }, async (request) =>
    isSupport(request.actor)
      ? supportMe(request.actor, secretKey)
      : me(request, identity, secretKey, requireSignedIn(request.actor)),
  );

  api.get(
    '/me/sessions',
    { schema: { summary: "One's own live sessions", tags, response: { 200: z.array(sessionSchema) } } },
    async (request) => {
      const actor = requireUser(request.actor);
      const sessions = await identity.accounts.sessions(requireTenant(request).slug, actor.userId);
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
      const ended = await identity.accounts.revokeSession(
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
