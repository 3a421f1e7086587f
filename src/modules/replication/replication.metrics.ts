import type { Kysely } from 'kysely';
import type { Gauge } from 'prom-client';
import type { PlatformTables } from '../../platform/db/schema.js';
import { cachedReading, gauge, type GaugeDefinition } from '../../platform/metrics.js';
import type { ReplicationState } from '../../platform/postgres/replication-status.js';
import { lastFailoverDrills, type FailoverDrillSummary } from './replication.drills.js';
import { replicationWarnings, type ReplicationExpectations } from './replication.status.js';

/** How to read replication as this server sees it, and what to expect of it (embedded Postgres). */
export interface ReplicationSource {
  read(): Promise<ReplicationState>;
  readonly expected: ReplicationExpectations;
  /** How long one reading serves the gauges (default 1 s: one reading per scrape). */
  readonly cacheMs?: number;
}

type Collect = (g: Gauge, seen: ReplicationState) => void;

/**
 * Replication, read once per scrape: on a primary each standby's lag and state and each slot's
 * WAL; on a standby whether it receives and what it has not replayed; everywhere
 * `steadfast_replication_ok`, 0 when `steadfast status` would warn about replication.
 */
export function replicationGauges(source: ReplicationSource): GaugeDefinition[] {
  const state = cachedReading(() => source.read().catch(() => undefined), source.cacheMs ?? 1000);
  const seen = (name: string, help: string, labelNames: string[], collect: Collect): GaugeDefinition =>
    gauge(
      name,
      help,
      async (g) => {
        const reading = await state();
        if (reading) collect(g, reading);
      },
      labelNames,
    );
  const onPrimary = (name: string, help: string, labelNames: string[], collect: Collect): GaugeDefinition =>
    seen(name, help, labelNames, (g, reading) => reading.role === 'primary' && collect(g, reading));
  const onStandby = (name: string, help: string, collect: Collect): GaugeDefinition =>
    seen(name, help, [], (g, reading) => reading.role === 'standby' && collect(g, reading));
  return [
    seen(
      'steadfast_replication_ok',
      '1 when replication needs no attention (as in steadfast status), 0 when it does.',
      [],
      (g, reading) => g.set(replicationWarnings(reading, source.expected).length === 0 ? 1 : 0),
    ),
    seen('steadfast_replication_is_standby', '1 on a standby (in recovery), 0 on a primary.', [], (g, reading) =>
      g.set(reading.role === 'standby' ? 1 : 0),
    ),
    ...standbyGauges(onPrimary),
    ...slotGauges(onPrimary),
    onStandby(
      'steadfast_replication_receiving',
      'On a standby: 1 while it streams WAL from its primary.',
      (g, reading) => g.set(reading.role === 'standby' && reading.receiver?.status === 'streaming' ? 1 : 0),
    ),
    onStandby(
      'steadfast_replication_replay_backlog_bytes',
      'On a standby: WAL received and not yet replayed.',
      (g, reading) => {
        if (reading.role === 'standby' && reading.replayBacklogBytes !== null) g.set(reading.replayBacklogBytes);
      },
    ),
  ];
}

type OnPrimary = (name: string, help: string, labelNames: string[], collect: Collect) => GaugeDefinition;

/** On a primary: each standby streaming from it, and its lag. */
function standbyGauges(onPrimary: OnPrimary): GaugeDefinition[] {
  const standbys = (reading: ReplicationState) => (reading.role === 'primary' ? reading.standbys : []);
  return [
    onPrimary(
      'steadfast_replication_standby_streaming',
      'On a primary: 1 for each standby streaming from it.',
      ['standby', 'sync_state'],
      (g, reading) => {
        for (const standby of standbys(reading))
          g.set({ standby: standby.name, sync_state: standby.syncState }, standby.state === 'streaming' ? 1 : 0);
      },
    ),
    onPrimary(
      'steadfast_replication_standby_lag_bytes',
      'On a primary: WAL written here that each standby has not replayed.',
      ['standby'],
      (g, reading) => {
        for (const standby of standbys(reading))
          if (standby.lagBytes !== null) g.set({ standby: standby.name }, standby.lagBytes);
      },
    ),
    onPrimary(
      'steadfast_replication_standby_replay_lag_seconds',
      'On a primary: how long the last commits took to be replayed on each standby (absent once caught up and idle).',
      ['standby'],
      (g, reading) => {
        for (const standby of standbys(reading))
          if (standby.replayLagMs !== null) g.set({ standby: standby.name }, standby.replayLagMs / 1000);
      },
    ),
  ];
}

/** On a primary: each standby slot's retained WAL, whether it is used, and whether it lost WAL. */
function slotGauges(onPrimary: OnPrimary): GaugeDefinition[] {
  const slots = (reading: ReplicationState) => (reading.role === 'primary' ? reading.slots : []);
  return [
    onPrimary(
      'steadfast_replication_slot_retained_bytes',
      'On a primary: WAL kept for each standby slot.',
      ['slot'],
      (g, reading) => {
        for (const slot of slots(reading))
          if (slot.retainedBytes !== null) g.set({ slot: slot.name }, slot.retainedBytes);
      },
    ),
    onPrimary(
      'steadfast_replication_slot_active',
      'On a primary: 1 while a standby uses the slot.',
      ['slot'],
      (g, reading) => {
        for (const slot of slots(reading)) g.set({ slot: slot.name }, slot.active ? 1 : 0);
      },
    ),
    onPrimary(
      'steadfast_replication_slot_lost',
      'On a primary: 1 when the slot lost WAL its standby needs (it must re-join).',
      ['slot'],
      (g, reading) => {
        for (const slot of slots(reading)) g.set({ slot: slot.name }, slot.walStatus === 'lost' ? 1 : 0);
      },
    ),
  ];
}

/** The failover drills (`steadfast drill failover`): the last of each replication mode. */
export function failoverDrillGauges(db: Kysely<PlatformTables>): GaugeDefinition[] {
  const byMode = (name: string, help: string, pick: (drill: FailoverDrillSummary) => number | null): GaugeDefinition =>
    gauge(
      name,
      help,
      async (g) => {
        for (const drill of await lastFailoverDrills(db).catch(() => [])) {
          const figure = pick(drill);
          if (figure !== null) g.set({ mode: drill.mode }, figure);
        }
      },
      ['mode'],
    );
  return [
    byMode(
      'steadfast_failover_drill_last_timestamp_seconds',
      'When the last failover drill of the mode finished (Unix time).',
      (drill) => Date.parse(drill.finishedAt) / 1000,
    ),
    byMode(
      'steadfast_failover_drill_last_passed',
      '1 when the last failover drill of the mode passed, 0 when it failed.',
      (drill) => (drill.passed ? 1 : 0),
    ),
    byMode(
      'steadfast_failover_drill_lost_writes',
      'Acknowledged writes the last failover drill of the mode lost, over all its trials.',
      (drill) => drill.lost,
    ),
    byMode(
      'steadfast_failover_drill_rpo_p99_seconds',
      'The last failover drill: the window of acknowledged writes lost, 99th percentile of its trials.',
      (drill) => (drill.rpoP99Ms === null ? null : drill.rpoP99Ms / 1000),
    ),
    byMode(
      'steadfast_failover_drill_rto_p99_seconds',
      'The last failover drill: from the kill to the first write acknowledged through the HTTP API, 99th percentile of its trials.',
      (drill) => drill.rtoP99Seconds,
    ),
  ];
}
