import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';

/**
 * Who may create, suspend, resume and delete tenants: operators on the host (the CLI)
 * and the platform itself. Staff roles join with the identity module.
 */
export function canManageTenants(actor: Actor): boolean {
  return actor.kind === 'operator' || actor.kind === 'system';
}

export function assertCanManageTenants(actor: Actor): void {
  if (!canManageTenants(actor))
    throw appError('FORBIDDEN', 'Only operators may create, suspend, resume or delete tenants.');
}
