export {
  divergedCopyWarnings,
  failoverDrillWarnings,
  lagWarningBytes,
  replicationWarnings,
  type ReplicationExpectations,
} from './replication.status.js';
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
export {
  lastFailoverDrills,
  recordFailoverDrill,
  type FailoverDrillRecord,
  type FailoverDrillSummary,
} from './replication.drills.js';
export { PlatformNode, type NodeRole } from './replication.node.js';
export type { NodePorts, NodeTimings, ServingPlatform } from './replication.ports.js';
export { startStandbyOn, type RunningStandby } from './replication.standby.js';
export { joinStandby, primaryTarget, type JoinResult } from './replication.join.js';
export { failover, type FailoverOptions, type FailoverResult } from './replication.failover.js';
export type { FencedState } from './replication.fencing.js';
export { controlAddressHere } from './replication.peers.js';
export { askNode, callNode } from './replication.control.client.js';
export type { FenceReport, NodeReport } from './replication.control.schema.js';
export { createCa, createNodeCertificate, revokeCertificate, showCertificates } from './replication.certs.js';
export {
  hasStandbySlot,
  nodeTls,
  readModeOverride,
  readStandbyState,
  replicationRole,
  slotName,
  tlsPaths,
  type ModeOverride,
  type StandbyState,
} from './replication.state.js';
export { effectiveMode, replicationSettings, replicationTarget, type SyncWait } from './replication.settings.js';
export { divergedCopies } from './replication.rejoin.js';
export {
  runFailoverDrill,
  type DrillMode,
  type DrillTrial,
  type FailoverDrillOptions,
  type FailoverDrillResult,
} from './replication.drill.js';
export { DrillPair, drillTenant, loopbackNodeEnv, pairCertificates, type DrillNode } from './replication.drill-pair.js';
