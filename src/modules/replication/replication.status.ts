import type { ReplicationState } from '../../platform/postgres/replication-status.js';
import { divergedCopies } from './replication.rejoin.js';
import { slotName } from './replication.state.js';
import type { FailoverDrillSummary } from './replication.drills.js';

export interface ReplicationExpectations {
  /** async, sync or sync-apply (config replicationMode). */
  readonly mode: 'async' | 'sync-write' | 'sync' | 'sync-apply';
  /** This node's record says it follows a primary (standby.json). */
  readonly standbyOf?: { readonly host: string; readonly port: number } | undefined;
}

/** Lag past this is worth an operator's look (a standby busy replaying a bulk load, a thin link). */
export const lagWarningBytes = 64 * 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MB`;

/** What needs attention in replication, in words an operator can act on; empty when all is well. */
export function replicationWarnings(state: ReplicationState, expected: ReplicationExpectations): string[] {
  const warnings: string[] = [];
  if (state.role === 'standby') {
    const where = expected.standbyOf ? `${expected.standbyOf.host}:${expected.standbyOf.port}` : 'its primary';
    if (!state.receiver || state.receiver.status !== 'streaming') {
      warnings.push(
        `This standby is not receiving WAL from ${where}${state.receiver ? ` (walreceiver ${state.receiver.status})` : ''}: check that the primary runs, is reachable, lists this machine in replicationPeers, and still holds this node's slot (see the PostgreSQL log).`,
      );
    }
    if (state.replayBacklogBytes !== null && state.replayBacklogBytes > lagWarningBytes)
      warnings.push(`This standby has ${mb(state.replayBacklogBytes)} of received WAL not yet replayed.`);
    return warnings;
  }
  if (expected.standbyOf)
    warnings.push(
      `standby.json says this node follows ${expected.standbyOf.host}:${expected.standbyOf.port}, but its PostgreSQL is a primary: remove standby.json if it was promoted.`,
    );
  for (const slot of state.slots) {
    const standby = state.standbys.find((seen) => slotName(seen.name) === slot.name);
    if (slot.walStatus === 'lost') {
      warnings.push(
        `The standby of slot ${slot.name} fell further behind than replicationMaxSlotWalMb allows and can no longer catch up: make it join again ("steadfast standby join" on it, after moving its data directory away), or drop the slot with SELECT pg_drop_replication_slot('${slot.name}').`,
      );
    } else if (!slot.active) {
      warnings.push(
        `The standby of slot ${slot.name} is not connected; ${slot.retainedBytes === null ? 'WAL is kept for it' : `${mb(slot.retainedBytes)} of WAL is kept for it`}${slot.safeWalBytes === null ? '' : `, ${mb(Math.max(0, slot.safeWalBytes))} more before it must re-join`}.`,
      );
    } else if (standby?.lagBytes != null && standby.lagBytes > lagWarningBytes) {
      warnings.push(`Standby ${standby.name} is ${mb(standby.lagBytes)} behind.`);
    }
  }
  if (
    expected.mode !== 'async' &&
    !state.standbys.some((seen) => seen.syncState === 'sync' && seen.state === 'streaming')
  ) {
    warnings.push(
      `replicationMode is ${expected.mode} but no synchronous standby is streaming: commits wait until one is. Bring a standby back, or switch to async deliberately (replicationMode=async, then restart).`,
    );
  }
  return warnings;
}

/** Data a node kept from before a failover (it could not follow the new primary): each needs its operator's decision. */
export async function divergedCopyWarnings(dataDir: string): Promise<string[]> {
  return (await divergedCopies(dataDir)).map(
    (kept) =>
      `${kept} is this node's data from before a failover, kept when it could not follow the new primary: the commits the failover lost are in it. Remove it when no longer needed.`,
  );
}

/** A failover drill that failed needs a look until one of its mode passes. */
export function failoverDrillWarnings(drills: readonly FailoverDrillSummary[]): string[] {
  return drills
    .filter((drill) => !drill.passed)
    .map(
      (drill) =>
        `The last ${drill.mode} failover drill (${drill.finishedAt}) FAILED: ${drill.problems[0] ?? 'no reason recorded'}. Run "steadfast drill failover --mode ${drill.mode}" after fixing it.`,
    );
}
