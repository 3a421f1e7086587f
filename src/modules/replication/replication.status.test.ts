import assert from 'node:assert/strict';
import { test } from 'node:test';
import { primaryState } from '../../../test/helpers/replication-states.js';
import type { ReplicationState } from '../../platform/postgres/replication-status.js';
import { replicationWarnings } from './replication.status.js';

const streaming = {
  name: 'node_b',
  address: '10.0.0.2',
  state: 'streaming',
  syncState: 'sync',
  sentLsn: '0/5000000',
  replayLsn: '0/5000000',
  lagBytes: 0,
  writeLagMs: 0.4,
  flushLagMs: 0.6,
  replayLagMs: 0.8,
};

test('a primary with a streaming standby, caught up, needs nothing', () => {
  assert.deepEqual(
    replicationWarnings(
      primaryState({
        standbys: [streaming],
        slots: [{ name: 'steadfast_node_b', active: true, walStatus: 'reserved', retainedBytes: 0, safeWalBytes: 8e9 }],
      }),
      { mode: 'sync' },
    ),
    [],
  );
});

test('a lost slot says the standby must re-join, and how', () => {
  const [warning] = replicationWarnings(
    primaryState({
      slots: [{ name: 'steadfast_node_b', active: false, walStatus: 'lost', retainedBytes: null, safeWalBytes: null }],
    }),
    { mode: 'async' },
  );
  assert.match(warning!, /can no longer catch up: make it join again \("steadfast standby join"/);
  assert.match(warning!, /pg_drop_replication_slot\('steadfast_node_b'\)/);
});

test('a standby far behind is reported with how far', () => {
  const behind = { ...streaming, lagBytes: 200 * 1048576 };
  assert.deepEqual(
    replicationWarnings(
      primaryState({
        standbys: [behind],
        slots: [
          {
            name: 'steadfast_node_b',
            active: true,
            walStatus: 'reserved',
            retainedBytes: 200 * 1048576,
            safeWalBytes: 1e9,
          },
        ],
      }),
      { mode: 'async' },
    ),
    ['Standby node_b is 200 MB behind.'],
  );
});

test('a standby without its walreceiver, and a promoted node still marked standby, are reported', () => {
  const alone: ReplicationState = {
    role: 'standby',
    timeline: 1,
    receiver: null,
    receivedLsn: '0/4000000',
    replayedLsn: '0/4000000',
    replayBacklogBytes: 0,
    lastReplayedCommitAt: null,
  };
  assert.match(
    replicationWarnings(alone, { mode: 'async', standbyOf: { host: '10.0.0.1', port: 54329 } }).join(),
    /not receiving WAL from 10\.0\.0\.1:54329/,
  );
  assert.match(
    replicationWarnings(primaryState(), { mode: 'async', standbyOf: { host: '10.0.0.1', port: 54329 } }).join(),
    /but its PostgreSQL is a primary/,
  );
});
