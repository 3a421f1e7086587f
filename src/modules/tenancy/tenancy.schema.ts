import { z } from 'zod';

/** Names that would collide with the platform's own hosts or confuse people. */
export const reservedSlugs = new Set([
  'www',
  'api',
  'app',
  'admin',
  'status',
  'staff',
  'console',
  'support',
  'help',
  'docs',
  'mail',
  'smtp',
  'imap',
  'ftp',
  'sftp',
  'static',
  'assets',
  'cdn',
  'metrics',
  'health',
  'login',
  'auth',
  'sso',
  'billing',
  'trust',
  'security',
  'root',
  'postgres',
  'steadfast',
  'system',
  'internal',
  'localhost',
]);

/** A tenant's slug is its host name label: `<slug>.<base domain>`. */
export const slugSchema = z
  .string({ error: 'a slug is required' })
  .min(3, 'a slug must be at least 3 characters')
  .max(40, 'a slug must be at most 40 characters')
  .regex(/^[a-z0-9-]+$/, 'a slug may hold only lower-case letters a-z, digits and hyphens')
  // Only a hyphen breaks this rule: other characters are the previous rule's to name.
  .refine((slug) => !slug.startsWith('-') && !slug.endsWith('-'), 'a slug must start and end with a letter or digit')
  .refine((slug) => !slug.includes('--'), 'a slug must not contain two hyphens in a row')
  .refine((slug) => !reservedSlugs.has(slug), {
    error: (issue) => `"${String(issue.input)}" is reserved for the platform; choose another slug`,
  });

export const tenantNameSchema = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(200, 'a name must be at most 200 characters');

export const createTenantSchema = z.object({
  slug: slugSchema,
  name: tenantNameSchema,
  region: z.string().min(1).max(40).optional(),
});
export type CreateTenantInput = z.input<typeof createTenantSchema>;

export const statusReasonSchema = z.string().trim().max(500).optional();

/** What the registry says of a tenant, as the CLI and API present it. */
export interface TenantView {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly region: string;
  readonly status: 'provisioning' | 'active' | 'suspended' | 'deleting';
  readonly statusReason: string | null;
  readonly schemaVersion: string | null;
  readonly databaseName: string;
  readonly createdAt: string;
  readonly url: string;
}
