import { z } from 'zod';
import { maximumPasswordLength } from './identity.passwords.js';
import { emailSchema } from './identity.schema.js';
import { defaultGrantMinutes, maximumGrantMinutes } from './identity.support.js';

/** The console's and support access's request and response shapes. */
const code = z
  .string()
  .trim()
  .regex(/^\d{3}\s?\d{3}$/, 'Type the six digits your authenticator app shows.')
  .describe('The six digits the authenticator app shows now.');

export const staffSignInBody = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Give your password.').max(maximumPasswordLength),
  code,
});

export const setupTokenBody = z.object({ token: z.string().min(20).max(200) });

export const setupBody = setupTokenBody.extend({
  password: z.string().min(1, 'Choose a password.').max(maximumPasswordLength),
  code,
});

export const setupSchema = z.object({
  email: z.string(),
  name: z.string(),
  secret: z.string().describe('The authenticator secret, for typing in when the QR code cannot be scanned.'),
  otpauthUrl: z.string().describe('The otpauth:// address the QR code carries.'),
});

export const consoleMeSchema = z
  .object({
    staff: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
    csrfToken: z.string().describe('Send it as X-CSRF-Token with every change.'),
  })
  .meta({ id: 'StaffMe' });

export const consoleTenantSchema = z.object({
  slug: z.string(),
  name: z.string(),
  status: z.string(),
  url: z.string(),
  createdAt: z.iso.datetime(),
});

export const grantSchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    staff: z.object({ email: z.string(), name: z.string() }),
    reason: z.string(),
    minutes: z.number().int(),
    status: z
      .enum(['pending', 'active', 'denied', 'ended', 'expired'])
      .describe("pending: waits for the workspace's approval; active: support may enter until expiresAt."),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().describe('Pending: when the request lapses; active: when the access ends.'),
    decidedBy: z.string().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    endedBy: z.string().nullable(),
    endedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SupportGrant' });

export const grantRequestBody = z.object({
  tenant: z.string().min(1).max(63).describe('The workspace (its slug).'),
  reason: z
    .string()
    .trim()
    .min(10, 'Say why support needs to enter, in a sentence the workspace’s admins will read (10 characters at least).')
    .max(500),
  minutes: z
    .number()
    .int()
    .min(5)
    .max(maximumGrantMinutes, `A grant lasts at most ${maximumGrantMinutes / 60} hours; ask again when it ends.`)
    .default(defaultGrantMinutes)
    .describe(`How long the access lasts once granted (default ${defaultGrantMinutes}).`),
});

export const platformAuditSchema = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  tenant: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
