import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';

/**
 * Monitoring is run by the platform's staff: every route of it in the console needs a signed-in
 * member of staff (who has 2FA by then); the answer is how the audit log names them.
 */
export function staffAuthor(actor: Actor): string {
  if (actor.kind !== 'staff') throw appError('UNAUTHENTICATED', 'Sign in to the console first.');
  return `staff:${actor.name}`;
}
