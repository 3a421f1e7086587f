import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idleStandbyState, primaryState } from '../../../test/helpers/replication-states.js';
import type { SlotSeen, StandbySeen } from '../../platform/postgres/replication-status.js';
import { sizeOf } from '../../platform/units.js';
import { knownStandbys, standbyOutcome, standbyProbes } from './replication.probes.js';

const seen = (over: Partial<StandbySeen> = {}): StandbySeen => ({
  name: 'node_b',
  address: '10.0.0.2',
  state: 'streaming',
  syncState: 'async',
  sentLsn: '0/5000000',
  replayLsn: '0/4FFFB38',
  lagBytes: 1224,
  writeLagMs: 0.1,
  flushLagMs: 0.15,
  replayLagMs: 200,
  ...over,
});
const slot = (over: Partial<SlotSeen> = {}): SlotSeen => ({
  name: 'steadfast_node_b',
  active: true,
  walStatus: 'reserved',
  retainedBytes: 4096,
  safeWalBytes: 8 * 1024 ** 3,
  ...over,
});

test('a streaming standby within the limits is operational, its lag in words and figures', () => {
  assert.deepEqual(standbyOutcome({ name: 'node_b', seen: seen(), slot: slot() }), {
    state: 'operational',
    figures: { lag_seconds: 0.2, lag_bytes: 1224 },
    message: 'streaming, replay lag 0.2 s (1.2 kB)',
  });
});

test('a standby caught up on an idle primary has no replay lag to report, and is operational', () => {
  const outcome = standbyOutcome({ name: 'node_b', seen: seen({ replayLagMs: null, lagBytes: 0 }) });
  assert.equal(outcome.state, 'operational');
  assert.deepEqual(outcome.figures, { lag_seconds: 0, lag_bytes: 0 });
});

test('replay lag over 10 s, or more than 64 MB behind, is degraded and says which', () => {
  const slow = standbyOutcome({ name: 'node_b', seen: seen({ replayLagMs: 14_200 }) });
  assert.equal(slow.state, 'degraded');
  assert.equal(slow.message, 'streaming, replay lag 14.2 s (1.2 kB) (over 10 s)');
  const behind = standbyOutcome({ name: 'node_b', seen: seen({ lagBytes: 200 * 1024 ** 2 }) });
  assert.equal(behind.state, 'degraded');
  assert.match(behind.message, /\(200\.0 MB\) \(over 64\.0 MB\)$/);
});

test('a standby catching up is degraded; one connected but not replicating is a major outage', () => {
  assert.equal(standbyOutcome({ name: 'node_b', seen: seen({ state: 'catchup' }) }).state, 'degraded');
  assert.deepEqual(standbyOutcome({ name: 'node_b', seen: seen({ state: 'startup' }), slot: slot() }), {
    state: 'major_outage',
    message: 'connected, but startup',
  });
});

test('an expected standby that is not connected is a major outage, with the WAL kept for it', () => {
  assert.deepEqual(standbyOutcome({ name: 'node_b', slot: slot({ active: false, retainedBytes: 3 * 1024 ** 2 }) }), {
    state: 'major_outage',
    figures: { wal_retained_bytes: 3 * 1024 ** 2 },
    message: 'not connected; 3.0 MB of WAL kept for it, 8.0 GB more before it must join again',
  });
});

test('a standby whose slot lost WAL is a major outage that says it must join again', () => {
  const outcome = standbyOutcome({ name: 'node_b', slot: slot({ active: false, walStatus: 'lost' }) });
  assert.equal(outcome.state, 'major_outage');
  assert.match(outcome.message, /must join again/);
});

test('a primary knows the standbys of its slots and those replicating, not base backups or slots of others', () => {
  const known = knownStandbys(
    primaryState({
      standbys: [
        seen({ name: 'node_c' }),
        seen({ name: 'steadfast-backup', state: 'backup' }),
        seen({ name: 'node_b', state: 'startup' }),
      ],
      slots: [slot(), slot({ name: 'steadfast_node_d', active: false }), slot({ name: 'pgbackrest', active: false })],
    }),
  );
  assert.deepEqual(
    known.map((standby) => [standby.name, standby.seen?.state, standby.slot?.name]),
    [
      ['node_b', 'startup', 'steadfast_node_b'],
      ['node_c', 'streaming', undefined],
      ['node_d', undefined, 'steadfast_node_d'],
    ],
  );
});

test('a standby node probes no standbys', () => {
  const standby = idleStandbyState;
  assert.deepEqual(knownStandbys(standby), []);
});

test('probes are named by standby, and there are none when replication cannot be read', async () => {
  const probes = await standbyProbes({
    read: async () => primaryState({ slots: [slot()] }),
    expected: { mode: 'async' },
  });
  assert.deepEqual(
    probes.map((probe) => [probe.component.id, probe.component.name]),
    [['standby:node_b', 'Standby node_b']],
  );
  assert.equal((await probes[0]!.check(new AbortController().signal)).state, 'major_outage');
  const unreadable = {
    read: () => Promise.reject(new Error('connection refused')),
    expected: { mode: 'async' as const },
  };
  assert.deepEqual(await standbyProbes(unreadable), []);
});

test('sizes read as people write them', () => {
  assert.deepEqual([0, 512, 1224, 64 * 1024 ** 2, 3 * 1024 ** 4].map(sizeOf), [
    '0 B',
    '512 B',
    '1.2 kB',
    '64.0 MB',
    '3.0 TB',
  ]);
});
