import type { ReplicationState } from '../../src/platform/postgres/replication-status.js';

/** A primary as replication-status reads it: no standbys or slots unless given. */
export const primaryState = (over: Partial<Extract<ReplicationState, { role: 'primary' }>> = {}): ReplicationState => ({
  role: 'primary',
  timeline: 1,
  currentLsn: '0/5000000',
  standbys: [],
  slots: [],
  synchronousStandbyNames: '',
  ...over,
});

/** A standby that receives nothing yet. */
export const idleStandbyState: ReplicationState = {
  role: 'standby',
  timeline: 1,
  receiver: null,
  receivedLsn: null,
  replayedLsn: null,
  replayBacklogBytes: null,
  lastReplayedCommitAt: null,
};
