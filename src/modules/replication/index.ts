export { lagWarningBytes, replicationWarnings, type ReplicationExpectations } from './replication.status.js';
export { lagHistory, pruneSamples, recordSamples, sampleRetentionDays, samplesOf, type LagHistory, type ReplicationSample } from './replication.history.js';
