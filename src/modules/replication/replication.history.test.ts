import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idleStandbyState } from '../../../test/helpers/replication-states.js';
import type { ReplicationState } from '../../platform/postgres/replication-status.js';
import { samplesOf } from './replication.history.js';

const at = new Date('2026-12-01T12:00:00Z');
const streaming = {
  name: 'node_b',
  address: '10.0.0.2',
  state: 'streaming',
  syncState: 'sync',
  sentLsn: '0/5000000',
  replayLsn: '0/5000000',
  lagBytes: 128,
  writeLagMs: 0.4,
  flushLagMs: 0.6,
  replayLagMs: 0.8,
};

test('a sample per standby: the connected ones with their lag and slot, the away ones from their slot alone', () => {
  const state: ReplicationState = {
    role: 'primary',
    timeline: 2,
    currentLsn: '0/5000000',
    synchronousStandbyNames: '*',
    standbys: [streaming],
    slots: [
      { name: 'steadfast_node_b', active: true, walStatus: 'reserved', retainedBytes: 4096, safeWalBytes: 8e9 },
      { name: 'steadfast_node_c', active: false, walStatus: 'lost', retainedBytes: null, safeWalBytes: null },
    ],
  };
  assert.deepEqual(samplesOf(state, 'node_a', at), [
    {
      at,
      node: 'node_a',
      standby: 'node_b',
      state: 'streaming',
      syncState: 'sync',
      lagBytes: 128,
      replayLagMs: 0.8,
      slotRetainedBytes: 4096,
      slotLost: false,
    },
    {
      at,
      node: 'node_a',
      standby: 'node_c',
      state: 'disconnected',
      syncState: null,
      lagBytes: null,
      replayLagMs: null,
      slotRetainedBytes: null,
      slotLost: true,
    },
  ]);
});

test('a standby has nothing to sample', () => {
  assert.deepEqual(samplesOf(idleStandbyState, 'node_b', at), []);
});
