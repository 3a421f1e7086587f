import type { Actor } from '../../platform/actor.js';
import { appError } from '../../platform/errors.js';

/** The failover drill's load, as the drill token makes it known. */
const drillServiceName = 'failover-drill';
export const drillService: Actor = Object.freeze({ kind: 'service', name: drillServiceName });

/** Only the drill's own load writes the drill journal. */
export function canWriteDrillJournal(actor: Actor): boolean {
  return actor.kind === 'service' && actor.name === drillServiceName;
}

export function assertCanWriteDrillJournal(actor: Actor): void {
  if (!canWriteDrillJournal(actor)) {
    throw appError(
      'UNAUTHENTICATED',
      'This endpoint takes the drill token as "Authorization: Bearer <token>"; the one sent is missing or wrong.',
    );
  }
}
