import { randomBytes } from 'node:crypto';
import type { Platform } from '../../src/app/deps.js';
import type { TenantView } from '../../src/modules/tenancy/index.js';
import type { Actor } from '../../src/platform/actor.js';

export const testOperator: Actor = { kind: 'operator', name: 'test' };

/** A unique valid slug. */
export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a real tenant (database, role, migrations) through the tenancy service. */
export async function buildTenant(
  platform: Platform,
  overrides: { slug?: string; name?: string } = {},
): Promise<TenantView> {
  const slug = overrides.slug ?? uniqueSlug();
  return platform.tenancy.create(testOperator, { slug, name: overrides.name ?? `Tenant ${slug}` });
}
