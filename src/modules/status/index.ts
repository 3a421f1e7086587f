/** Status: probes of every component a workspace depends on, uptime, incidents and maintenance. */
export {
  StatusService,
  localLocation,
  probeTimeoutMs,
  type Component,
  type ObservedComponent,
  type ProbeResult,
} from './status.service.js';
export { statusModule, type StatusModuleContext } from './status.module.js';
export type { Incident } from './status.incidents.js';
export type { Maintenance } from './status.maintenance.js';
export type { CurrentState } from './status.readings.js';
export { serviceComponents, SlaReports, type SlaReport } from './status.reports.js';
export {
  downtimeBudget,
  monthOf,
  partialOutageWeight,
  promisedAvailability,
  uptime,
  type UptimeFigures,
} from './status.uptime.js';
export { staffAuthor } from './status.policy.js';
export { ProbeRunner, type PendingReading, type RoundSummary } from './status.runner.js';
export type { ProbePlan } from './status.service.js';
export {
  publicFileMode,
  publishSite,
  statusTargetsOf,
  statusTitleOf,
  StatusPublisher,
  type StatusTarget,
} from './status.publish.js';
export { renderStatusSite, type StatusPageModel, type SiteFile } from './status.page.js';
