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
  })
  .meta({ id: 'Me' });

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
