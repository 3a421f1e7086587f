/** What the console's monitoring API answers (`/api/v1/console/status`, `/api/v1/console/alerts`), as the screens read it. */

/** A component's state, least to most severe (the status page's words). */
export type ComponentState = 'operational' | 'degraded' | 'partial_outage' | 'major_outage';

export type IncidentState = 'investigating' | 'identified' | 'monitoring' | 'resolved';

export interface LocationReading {
  location: string;
  state: ComponentState;
  message: string;
  responseMs: number | null;
  at: string;
}

export interface StatusComponent {
  id: string;
  name: string;
  description: string;
  kind: 'builtin' | 'http' | 'tcp' | 'tls';
  target: Record<string, unknown>;
  public: boolean;
  position: number;
  state: ComponentState;
  /** Under announced or short-notice maintenance now. */
  maintenance: boolean;
  /** Probe locations that see an outage a quorum does not confirm. */
  seenDownFrom: string[];
  locations: LocationReading[];
}

export interface IncidentUpdate {
  state: IncidentState;
  message: string;
  author: string;
  at: string;
}

export interface Incident {
  id: string;
  title: string;
  state: IncidentState;
  /** Opened by an alert and not yet confirmed: not on the status page. */
  draft: boolean;
  /** Each affected component's id and the state the incident declares it in. */
  components: Record<string, ComponentState>;
  /** The workspaces it affects; null: every workspace. */
  tenants: string[] | null;
  openedBy: string;
  startedAt: string;
  resolvedAt: string | null;
  updates: IncidentUpdate[];
}

export interface MaintenanceWindow {
  id: string;
  title: string;
  description: string;
  components: string[];
  /** The workspaces it affects; null: the whole platform. */
  tenants: string[] | null;
  startsAt: string;
  endsAt: string;
  announcedAt: string;
  shortNotice: boolean;
  reason: string | null;
  scheduledBy: string;
  cancelledAt: string | null;
}

export interface ProbeLocation {
  name: string;
  createdAt: string;
  lastReportAt: string | null;
  revokedAt: string | null;
}

export interface AlertRule {
  id: string;
  name: string;
  kind: 'state' | 'figure';
  figure: string | null;
  op: '>' | '<' | null;
  threshold: number | null;
  /** Bad checks in a row before it fires (and good ones before it recovers). */
  forChecks: number;
  enabled: boolean;
}

export interface AlertChannel {
  id: string;
  name: string;
  kind: 'email' | 'webhook';
  target: string;
  enabled: boolean;
}

export interface FiringAlert {
  ruleId: string;
  subject: string;
  since: string;
  message: string;
  flapping: boolean;
}

export interface AlertNotice {
  id: string;
  ruleId: string;
  subject: string;
  kind: 'firing' | 'recovered' | 'flapping' | 'settled';
  message: string;
  at: string;
}

export interface AlertsNow {
  firing: FiringAlert[];
  notices: AlertNotice[];
}

/** One workspace's line in a month's SLA report. */
export interface TenantReport {
  tenant: string;
  name: string;
  /** 0..1; null when nothing was measured. */
  availability: number | null;
  downtimeMinutes: number;
  /** Announced at least 24 h ahead: left out of the month. */
  maintenanceMinutes: number;
  /** Announced later: counted as downtime. */
  shortNoticeMaintenanceMinutes?: number;
  noDataMinutes: number;
  /** How many incidents touched it (the agreed name, and the name the server first shipped). */
  incidents?: number;
  incidentCount?: number;
  met: boolean | null;
  /** When the report was issued; null while the month is under way (provisional). */
  issuedAt?: string | null;
}

export interface MonthReport {
  month: string;
  target: number;
  tenants: TenantReport[];
}

export interface BudgetLine {
  target: number;
  allowedMinutes: number;
  usedMinutes: number;
  remainingMinutes: number;
  met: boolean;
}

export interface TenantMonthReport {
  month: string;
  tenant: string;
  name: string;
  target: number;
  availability: number | null;
  downtimeMinutes: number;
  maintenanceMinutes: number;
  shortNoticeMaintenanceMinutes?: number;
  noDataMinutes: number;
  /** Minutes in the month. */
  minutes: number;
  issuedAt?: string | null;
  incidents: Array<{ id: string; title: string; startedAt: string; resolvedAt: string | null; impact: string }>;
  budget: BudgetLine[];
}
