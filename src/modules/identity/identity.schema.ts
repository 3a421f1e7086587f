import { z } from 'zod';
import { maximumPasswordLength } from './identity.passwords.js';

export const roleSchema = z
  .enum(['owner', 'admin', 'member', 'viewer'])
  .describe('What the person may do: owner > admin > member > viewer.');

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Give an email address, like ada@example.com.' }));

export const signInBody = z.object({
  email: emailSchema,
  // Length is checked here only against abuse; the strength rules apply when a password is set.
  password: z.string().min(1, 'Give your password.').max(maximumPasswordLength),
});

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const meSchema = z
  .object({
    user: userSchema,
    csrfToken: z
      .string()
      .nullable()
      .describe('For a session: send it as X-CSRF-Token with every change. Null when signed in with an API token.'),
    twoFactor: z.object({
      totp: z.boolean().describe('An authenticator app is set up.'),
      recoveryCodesLeft: z.number().int(),
      passkeys: z.number().int().describe('Passkeys registered: each signs in alone, or as the second step.'),
      setupRequired: z
        .boolean()
        .describe(
          'The workspace requires a second factor this person has not set up: nothing else works until they do.',
        ),
    }),
    support: z
      .object({
        grantId: z.uuid(),
        reason: z.string(),
        expiresAt: z.iso.datetime(),
      })
      .optional()
      .describe(
        "Present when the platform's support staff are in the workspace under a grant: they see what an admin sees and change nothing.",
      ),
  })
  .meta({ id: 'Me' });

export const secondFactorSchema = z
  .object({
    secondFactor: z.object({
      challenge: z.string().describe('Send it back with the code; it lasts 5 minutes and allows 5 tries.'),
      methods: z.array(z.enum(['totp', 'recovery-code', 'passkey'])),
    }),
  })
  .meta({ id: 'SecondFactorChallenge' });

/** A 6-digit code, spaces allowed (as apps show them). */
const totpCode = z
  .string()
  .trim()
  .regex(/^\d{3} ?\d{3}$/, 'Type the 6 digits your authenticator app shows.');

/** A browser's answer to a WebAuthn ceremony (@simplewebauthn/browser's JSON); checked in full by the server library. */
export const webauthnResponse = z
  .object({
    id: z.string().min(1).max(1024),
    rawId: z.string().min(1).max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .meta({ id: 'WebAuthnResponse' });

/** A browser's answer to a registration (navigator.credentials.create), as @simplewebauthn/browser sends it. */
export const webauthnRegistration = webauthnResponse.meta({ id: 'WebAuthnRegistration' });

export const secondFactorBody = z
  .object({
    challenge: z.string().min(1).max(100),
    passkey: webauthnResponse.optional(),
    code: totpCode.optional(),
    recoveryCode: z
      .string()
      .trim()
      .regex(/^[a-z0-9]{5}-?[a-z0-9]{5}$/i, 'A recovery code looks like abcde-23456.')
      .optional(),
  })
  .refine((body) => [body.code, body.recoveryCode, body.passkey].filter((given) => given !== undefined).length === 1, {
    message: 'Give one of: the code from your authenticator app, a recovery code, or a passkey.',
    path: ['code'],
  });

export const totpConfirmBody = z.object({ code: totpCode });

export const passwordField = z.string().min(1, 'Give a password.').max(maximumPasswordLength);

export const sessionSchema = z
  .object({
    id: z.uuid(),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean().describe('The session this request came with.'),
  })
  .meta({ id: 'Session' });
