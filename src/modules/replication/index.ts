export { lagWarningBytes, replicationWarnings, type ReplicationExpectations } from './replication.status.js';
export {
  lagHistory,
  pruneSamples,
  recordSamples,
  sampleRetentionDays,
  samplesOf,
  type LagHistory,
  type ReplicationSample,
} from './replication.history.js';
export { replicationModule, type ReplicationModuleContext } from './replication.module.js';
export { replicationGauges, type ReplicationSource } from './replication.metrics.js';
export { canWriteDrillJournal } from './replication.policy.js';
export {
  lastFailoverDrills,
  recordFailoverDrill,
  type FailoverDrillRecord,
  type FailoverDrillSummary,
} from './replication.drills.js';
