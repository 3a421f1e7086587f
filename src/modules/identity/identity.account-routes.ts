import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { assertAllowed, canChangeOwnAccount } from './identity.policy.js';
import { json, relyingParty, requestClient, strictRateLimit } from './identity.routes.js';
import type { PasskeyView } from './identity.passkeys.js';
import { passwordField, totpConfirmBody, webauthnRegistration } from './identity.schema.js';
import type { IdentityService } from './identity.service.js';

const tags = ['identity'];
const recoveryCodesSchema = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .describe('Shown this once: each signs in once when the authenticator app is lost. Keep them somewhere safe.'),
  })
  .meta({ id: 'RecoveryCodes' });
const passwordBody = z.object({ password: passwordField.describe('Your current password.') });

/** One's own account: password, authenticator app, recovery codes. */
export function accountApi(
  api: ApiScope,
  identity: IdentityService,
  settings: { signInRateLimitPerMinute: number },
): void {
  const strictLimit = strictRateLimit(settings);
  // Reachable while a required second factor is still to be set up: it is how one sets it up.
  const duringSetup = { duringTwoFactorSetup: true };

  api.put(
    '/me/password',
    {
      schema: {
        summary: 'Changes your password; your other sessions end',
        tags,
        body: z.object({ currentPassword: passwordField, newPassword: passwordField }),
        response: { 204: z.null() },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'change your password');
      await identity.accounts.changePassword(requireTenant(request).slug, actor, request.body, requestClient(request));
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/me/totp',
    {
      schema: {
        summary: 'Starts setting up an authenticator app',
        description: 'Show `otpauthUrl` as a QR code (or `secret` to type in), then confirm with a first code.',
        tags,
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }).meta({ id: 'TotpSetup' }) },
      },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'set up two-factor authentication', duringSetup);
      const tenant = requireTenant(request);
      return identity.accounts.beginTotp(tenant.slug, actor, tenant);
    },
  );

  api.post(
    '/me/totp/confirm',
    {
      schema: {
        summary: 'Confirms the authenticator app with a first code; answers your recovery codes, once',
        tags,
        body: totpConfirmBody,
        response: { 200: recoveryCodesSchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'set up two-factor authentication', duringSetup);
      return identity.accounts.confirmTotp(
        requireTenant(request).slug,
        actor,
        request.body.code,
        requestClient(request),
      );
    },
  );

  api.delete(
    '/me/totp',
    {
      schema: {
        summary: 'Removes the authenticator app (and its recovery codes), with your password',
        tags,
        body: passwordBody,
        response: { 204: z.null() },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'remove two-factor authentication');
      await identity.accounts.removeTotp(
        requireTenant(request).slug,
        actor,
        request.body.password,
        requestClient(request),
      );
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/me/recovery-codes',
    {
      schema: {
        summary: 'New recovery codes, with your password; the old ones stop working',
        tags,
        body: passwordBody,
        response: { 200: recoveryCodesSchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'renew recovery codes');
      const recoveryCodes = await identity.accounts.renewRecoveryCodes(
        requireTenant(request).slug,
        actor,
        request.body.password,
        requestClient(request),
      );
      return { recoveryCodes };
    },
  );

  const passkeySchema = z
    .object({
      id: z.string(),
      name: z.string(),
      createdAt: z.iso.datetime(),
      lastUsedAt: z.iso.datetime().nullable(),
      backedUp: z.boolean().describe('Synced to the person’s other devices by their platform.'),
    })
    .meta({ id: 'Passkey' });
  const presentPasskey = (key: PasskeyView) => ({
    ...key,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  });

  api.get(
    '/me/passkeys',
    { schema: { summary: 'Your passkeys', tags, response: { 200: z.array(passkeySchema) } } },
    async (request) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'see your passkeys', duringSetup);
      return (await identity.accounts.passkeys(requireTenant(request).slug, actor.userId)).map(presentPasskey);
    },
  );

  api.post(
    '/me/passkeys/options',
    {
      schema: {
        summary: 'Adding a passkey: the options for the browser (navigator.credentials.create)',
        tags,
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (request) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'add a passkey', duringSetup);
      return json(
        await identity.accounts.passkeyRegistrationOptions(requireTenant(request).slug, actor, relyingParty(request)),
      );
    },
  );

  api.post(
    '/me/passkeys',
    {
      schema: {
        summary: "Adding a passkey: the browser's answer to the options, and a name for it",
        tags,
        body: z.object({
          name: z.string().trim().min(1, 'Name the passkey, e.g. "Work laptop".').max(100),
          response: webauthnRegistration,
        }),
        response: { 201: passkeySchema },
      },
      config: { rateLimit: strictLimit },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'add a passkey', duringSetup);
      const added = await identity.accounts.addPasskey(
        requireTenant(request).slug,
        actor,
        relyingParty(request),
        { name: request.body.name, response: request.body.response as never },
        requestClient(request),
      );
      return reply.status(201).send(presentPasskey(added));
    },
  );

  api.delete(
    '/me/passkeys/:id',
    {
      schema: {
        summary: 'Removes one of your passkeys',
        tags,
        params: z.object({ id: z.string().min(1).max(1024) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = assertAllowed(request.actor, canChangeOwnAccount, 'remove a passkey');
      await identity.accounts.removePasskey(
        requireTenant(request).slug,
        actor,
        request.params.id,
        requestClient(request),
      );
      return reply.status(204).send(null);
    },
  );
}
