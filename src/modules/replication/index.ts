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
export { drillRoutes, type DrillRoutesOptions } from './replication.routes.js';
export {
  lastFailoverDrills,
  recordFailoverDrill,
  type FailoverDrillRecord,
  type FailoverDrillSummary,
} from './replication.drills.js';
