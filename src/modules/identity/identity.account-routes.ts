import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { requireTenant } from '../tenancy/index.js';
import { assertAllowed, canChangeOwnAccount } from './identity.policy.js';
import { requestClient, strictRateLimit } from './identity.routes.js';
import { passwordField, totpConfirmBody } from './identity.schema.js';
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
      await identity.changePassword(requireTenant(request).slug, actor, request.body, requestClient(request));
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
      return identity.beginTotp(tenant.slug, actor, tenant);
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
      return identity.confirmTotp(requireTenant(request).slug, actor, request.body.code, requestClient(request));
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
      await identity.removeTotp(requireTenant(request).slug, actor, request.body.password, requestClient(request));
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
      const recoveryCodes = await identity.renewRecoveryCodes(
        requireTenant(request).slug,
        actor,
        request.body.password,
        requestClient(request),
      );
      return { recoveryCodes };
    },
  );
}
