/**
 * The uptime arithmetic, published on the status page as written here:
 * - each minute of a component has one state: what the probes measured (several locations
 *   combined by quorum), made worse by any incident declared on it then;
 * - major-outage minutes count fully as downtime, partial-outage minutes by `partialOutageWeight`,
 *   degraded and operational minutes not at all;
 * - a maintenance window announced at least `maintenanceNoticeMs` before it starts is removed from
 *   the period; one announced later (short notice), or never, counts fully as downtime;
 * - minutes no location measured and no incident covers are left out of the period and shown as
 *   "no data" (the remote probe runners send what they measured while the platform was down once
 *   it is back, so an outage seen from outside is not a gap);
 * - availability = 1 − downtime ÷ (minutes − announced maintenance − no data).
 * Months are calendar months in UTC.
 */

import { componentStates, severity, worst, type ComponentState } from '../../platform/probes.js';

export { componentStates, type ComponentState };

/** How a minute is counted. */
export type MinuteKind = ComponentState | 'maintenance' | 'short_notice_maintenance' | 'no_data';

/** A partial-outage minute counts as this fraction of a minute of downtime (Atlassian Statuspage's weight). */
export const partialOutageWeight = 0.3;
/** Maintenance announced at least this long before it starts is removed from the period. */
export const maintenanceNoticeMs = 24 * 60 * 60_000;
export const minuteMs = 60_000;

/** What one probe location measured of a component in a minute. */
export interface LocationReading {
  readonly location: string;
  readonly state: ComponentState;
}

/**
 * Several locations' readings of one minute as one state: the worst state that a quorum (more
 * than half of the locations that reported) measured or worse. An outage fewer locations saw is
 * a degradation, not downtime: the component answered elsewhere, and what failed may be the path
 * from that location. `seenDownFrom` names the locations that saw an outage.
 */
export function combineLocations(readings: readonly LocationReading[]): {
  state: ComponentState | undefined;
  seenDownFrom: string[];
} {
  if (readings.length === 0) return { state: undefined, seenDownFrom: [] };
  const quorum = Math.floor(readings.length / 2) + 1;
  let state: ComponentState = 'operational';
  for (const candidate of componentStates)
    if (readings.filter((reading) => severity(reading.state) >= severity(candidate)).length >= quorum)
      state = candidate;
  const seenDownFrom = readings
    .filter((reading) => severity(reading.state) >= severity('partial_outage'))
    .map((reading) => reading.location);
  if (seenDownFrom.length > 0 && severity(state) < severity('degraded')) state = 'degraded';
  return { state, seenDownFrom };
}

/** A span of time, from `start` up to (not including) `end`. */
export interface Span {
  readonly start: Date;
  readonly end: Date;
}

/** An incident's declared effect on the component being counted, over its span. */
export interface DeclaredImpact extends Span {
  readonly state: ComponentState;
}

/** A maintenance window covering the component being counted. */
export interface MaintenanceSpan extends Span {
  /** When it was first announced (scheduled); undefined when it never was. */
  readonly announcedAt: Date | undefined;
}

/** Whether a window was announced early enough to be removed from the period. */
export function announcedInTime(window: MaintenanceSpan): boolean {
  return (
    window.announcedAt !== undefined && window.start.getTime() - window.announcedAt.getTime() >= maintenanceNoticeMs
  );
}

/** Minutes of a period by how they count, and what they come to. */
export interface UptimeFigures {
  readonly minutes: number;
  readonly operational: number;
  readonly degraded: number;
  readonly partialOutage: number;
  readonly majorOutage: number;
  /** Announced at least 24 h ahead: removed from the period. */
  readonly maintenance: number;
  /** Announced later or never: counted as downtime. */
  readonly shortNoticeMaintenance: number;
  readonly noData: number;
  /** Major outage + weighted partial outage + short-notice maintenance, in minutes. */
  readonly downtimeMinutes: number;
  /** The minutes availability is measured over: all, less announced maintenance and no data. */
  readonly countedMinutes: number;
  /** 0 to 1; undefined when no minute of the period counts. */
  readonly availability: number | undefined;
}

/** The minute a time falls in, as epoch milliseconds. */
export const minuteOf = (at: Date | number): number => Math.floor(new Date(at).getTime() / minuteMs) * minuteMs;

/**
 * How one minute counts, given what was measured (undefined: nothing), the incidents and the
 * maintenance covering the component. Maintenance decides the minute whatever was measured.
 */
export function classifyMinute(
  minute: number,
  measured: ComponentState | undefined,
  incidents: readonly DeclaredImpact[],
  maintenance: readonly MaintenanceSpan[],
): MinuteKind {
  const covering = maintenance.filter((window) => covers(window, minute));
  if (covering.length > 0) return covering.some(announcedInTime) ? 'maintenance' : 'short_notice_maintenance';
  let state = measured;
  for (const incident of incidents)
    if (covers(incident, minute)) state = state === undefined ? incident.state : worst(state, incident.state);
  return state ?? 'no_data';
}

const covers = (span: Span, minute: number): boolean => span.start.getTime() <= minute && minute < span.end.getTime();

/**
 * The figures of a period (whole minutes from `period.start` up to `period.end`) from the minutes
 * measured in it (`measured`, keyed by minute), incidents and maintenance covering the component.
 */
export function uptime(
  period: Span,
  measured: ReadonlyMap<number, ComponentState>,
  incidents: readonly DeclaredImpact[] = [],
  maintenance: readonly MaintenanceSpan[] = [],
): UptimeFigures {
  const counts: Record<MinuteKind, number> = {
    operational: 0,
    degraded: 0,
    partial_outage: 0,
    major_outage: 0,
    maintenance: 0,
    short_notice_maintenance: 0,
    no_data: 0,
  };
  const relevant = <S extends Span>(spans: readonly S[]) =>
    spans.filter((span) => span.end > period.start && span.start < period.end);
  const inIncidents = relevant(incidents);
  const inMaintenance = relevant(maintenance);
  for (let minute = minuteOf(period.start); minute < period.end.getTime(); minute += minuteMs)
    counts[classifyMinute(minute, measured.get(minute), inIncidents, inMaintenance)] += 1;
  return figuresOf(counts);
}

/** Figures from minute counts (also how daily counts add up to a month). */
export function figuresOf(counts: Readonly<Record<MinuteKind, number>>): UptimeFigures {
  const minutes = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const downtimeMinutes =
    counts.major_outage + partialOutageWeight * counts.partial_outage + counts.short_notice_maintenance;
  const countedMinutes = minutes - counts.maintenance - counts.no_data;
  return {
    minutes,
    operational: counts.operational,
    degraded: counts.degraded,
    partialOutage: counts.partial_outage,
    majorOutage: counts.major_outage,
    maintenance: counts.maintenance,
    shortNoticeMaintenance: counts.short_notice_maintenance,
    noData: counts.no_data,
    downtimeMinutes,
    countedMinutes,
    availability: countedMinutes > 0 ? 1 - downtimeMinutes / countedMinutes : undefined,
  };
}

/** The calendar month (UTC) a time falls in. */
export function monthOf(at: Date): Span {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  return { start, end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)) };
}

/** The targets the downtime-budget table lists. */
export const budgetTargets = [0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999] as const;

/** The target Steadfast promises. */
export const promisedAvailability = 0.999;

export interface BudgetRow {
  readonly target: number;
  /** Downtime the target allows over the period's counted minutes. */
  readonly allowedMinutes: number;
  readonly usedMinutes: number;
  /** Negative when the target was missed. */
  readonly remainingMinutes: number;
  readonly met: boolean;
}

/** For each target, the downtime it allows in this period by the same formula, and what is left. */
export function downtimeBudget(figures: UptimeFigures): BudgetRow[] {
  return budgetTargets.map((target) => {
    const allowedMinutes = (1 - target) * figures.countedMinutes;
    return {
      target,
      allowedMinutes,
      usedMinutes: figures.downtimeMinutes,
      remainingMinutes: allowedMinutes - figures.downtimeMinutes,
      met: figures.downtimeMinutes <= allowedMinutes,
    };
  });
}
