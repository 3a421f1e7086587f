export { lagWarningBytes, replicationWarnings, type ReplicationExpectations } from './replication.status.js';
