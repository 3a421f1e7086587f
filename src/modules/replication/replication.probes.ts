import type { Probe, ProbeOutcome } from '../../platform/probes.js';
import { sizeOf } from '../../platform/units.js';
import type { ReplicationState, SlotSeen, StandbySeen } from '../../platform/postgres/replication-status.js';
import type { ReplicationSource } from './replication.metrics.js';
import { nodeOfSlot, slotPrefix } from './replication.state.js';
import { lagWarningBytes } from './replication.status.js';

/** Replay lag past this is degraded: a failover now would wait that long for the standby, or lose it. */
export const replayLagLimitSeconds = 10;

/** Sender states of a standby that is replicating (`startup` is still connecting; `backup` is a base backup, not a standby). */
const replicating = new Set(['streaming', 'catchup']);

/** A standby its primary knows: as pg_stat_replication shows it (when connected), and its slot (when it holds one). */
export interface KnownStandby {
  readonly name: string;
  readonly seen?: StandbySeen | undefined;
  readonly slot?: SlotSeen | undefined;
}

/**
 * The standbys a primary knows: each one its slots (`steadfast_<node>`, made when it joined) keep
 * WAL for, expected whether connected or not, and any other replicating from it now. A standby
 * knows none: it has its own primary to answer for it.
 */
export function knownStandbys(state: ReplicationState): KnownStandby[] {
  if (state.role !== 'primary') return [];
  const known = new Map<string, KnownStandby>();
  for (const slot of state.slots)
    if (slot.name.startsWith(slotPrefix)) known.set(nodeOfSlot(slot.name), { name: nodeOfSlot(slot.name), slot });
  for (const seen of state.standbys) {
    const expected = known.get(seen.name);
    if (expected || replicating.has(seen.state)) known.set(seen.name, { ...expected, name: seen.name, seen });
  }
  return [...known.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** One standby's state: gone (or lost) is a major outage, catching up or behind is degraded. */
export function standbyOutcome({ seen, slot }: KnownStandby): ProbeOutcome {
  if (slot?.walStatus === 'lost')
    return {
      state: 'major_outage',
      message: 'fell further behind than its slot keeps WAL for: it must join again ("steadfast standby join")',
    };
  if (!seen) return notConnected(slot);
  if (!replicating.has(seen.state)) return { state: 'major_outage', message: `connected, but ${seen.state}` };
  // replay_lag is null once the standby has caught up and the primary is idle: nothing to replay.
  const lagSeconds = (seen.replayLagMs ?? 0) / 1000;
  const figures = {
    lag_seconds: Math.round(seen.replayLagMs ?? 0) / 1000,
    ...(seen.lagBytes === null ? {} : { lag_bytes: seen.lagBytes }),
  };
  const lag = `replay lag ${lagSeconds.toFixed(1)} s${seen.lagBytes === null ? '' : ` (${sizeOf(seen.lagBytes)})`}`;
  if (seen.state === 'catchup') return { state: 'degraded', figures, message: `catching up, ${lag}` };
  const over =
    lagSeconds > replayLagLimitSeconds
      ? `over ${replayLagLimitSeconds} s`
      : (seen.lagBytes ?? 0) > lagWarningBytes
        ? `over ${sizeOf(lagWarningBytes)}`
        : undefined;
  if (over) return { state: 'degraded', figures, message: `streaming, ${lag} (${over})` };
  return { state: 'operational', figures, message: `streaming, ${lag}` };
}

function notConnected(slot: SlotSeen | undefined): ProbeOutcome {
  const kept = slot?.retainedBytes == null ? '' : `; ${sizeOf(slot.retainedBytes)} of WAL kept for it`;
  const left =
    slot?.safeWalBytes == null ? '' : `, ${sizeOf(Math.max(0, slot.safeWalBytes))} more before it must join again`;
  return {
    state: 'major_outage',
    ...(slot?.retainedBytes == null ? {} : { figures: { wal_retained_bytes: slot.retainedBytes } }),
    message: `not connected${kept}${left}`,
  };
}

/**
 * A probe per standby this primary knows, judged from one reading of replication per round.
 * When replication cannot be read (the database is down) there are none: the database's own
 * component says so.
 */
export async function standbyProbes(source: ReplicationSource): Promise<Probe[]> {
  const state = await source.read().catch(() => undefined);
  if (!state) return [];
  return knownStandbys(state).map((standby) => ({
    component: {
      id: `standby:${standby.name}`,
      name: `Standby ${standby.name}`,
      description: 'A copy of the database kept current, ready to take over if the primary fails',
    },
    check: async () => standbyOutcome(standby),
  }));
}
