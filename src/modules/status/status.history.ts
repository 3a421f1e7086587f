import type { Clock } from '../../platform/clock/clock.js';
import { worst, type ComponentState } from '../../platform/probes.js';
import { declaredImpacts, type Incidents } from './status.incidents.js';
import { maintenanceSpans, type MaintenanceWindows } from './status.maintenance.js';
import type { StatusReadings } from './status.readings.js';
import type { StatusDb } from './status.tables.js';
import { figuresOf, uptime, type MinuteKind, type Span, type UptimeFigures } from './status.uptime.js';

/** Readings are kept this long: every day of it can be rolled up again (a late incident, a runner's backlog). */
export const readingsKeepDays = 35;

export const dayMs = 86_400_000;
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);
const dayStart = (day: string): Date => new Date(`${day}T00:00:00.000Z`);

export interface UptimeHistoryDeps {
  readonly db: StatusDb;
  readonly clock: Clock;
  readonly readings: StatusReadings;
  readonly incidents: Incidents;
  readonly maintenance: MaintenanceWindows;
  /** The components on record now (a day's figures are kept for each). */
  readonly components: () => Promise<readonly { id: string }[]>;
}

/**
 * Uptime over time: a period's figures from the per-minute readings while they are kept and
 * from the daily figures after, the daily roll-up, and the days the status page's bars show.
 */
export class UptimeHistory {
  private readonly db: StatusDb;
  private readonly readings: StatusReadings;
  private readonly incidents: Incidents;
  private readonly maintenance: MaintenanceWindows;

  constructor(private readonly deps: UptimeHistoryDeps) {
    ({ db: this.db, readings: this.readings, incidents: this.incidents, maintenance: this.maintenance } = deps);
  }

  private components() {
    return this.deps.components();
  }

  /**
   * The uptime of components over a period: minute by minute from the readings while they are
   * kept, the worst of the components each minute; `tenant` counts the incidents and maintenance
   * of that workspace too. Days older than the readings come from the daily figures.
   */
  async uptime(componentIds: readonly string[], period: Span, tenant?: string): Promise<UptimeFigures> {
    return (await this.uptimeEach(componentIds, period, [tenant]))[0]!;
  }

  /** `uptime` for several workspaces at once (`undefined`: the platform as a whole), reading the period once. */
  async uptimeEach(
    componentIds: readonly string[],
    period: Span,
    tenants: readonly (string | undefined)[],
  ): Promise<UptimeFigures[]> {
    const now = this.deps.clock.now();
    const end = new Date(Math.min(period.end.getTime(), now.getTime()));
    const kept = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (readingsKeepDays - 1) * dayMs,
    );
    const fromReadings = { start: new Date(Math.max(period.start.getTime(), kept.getTime())), end };
    const older =
      period.start < kept
        ? await this.fromDays(componentIds, {
            start: period.start,
            end: new Date(Math.min(kept.getTime(), end.getTime())),
          })
        : undefined;
    if (fromReadings.start >= fromReadings.end) return tenants.map(() => older ?? figuresOf(emptyCounts()));
    const [minutes, incidents, windows] = await Promise.all([
      this.readings.minutes(fromReadings, componentIds),
      this.incidents.list({ span: fromReadings }),
      this.maintenance.overlapping(fromReadings),
    ]);
    const worstEachMinute = new Map<number, ComponentState>();
    for (const id of componentIds)
      for (const [minute, state] of minutes.get(id) ?? []) {
        const seen = worstEachMinute.get(minute);
        worstEachMinute.set(minute, seen ? worst(seen, state) : state);
      }
    return tenants.map((tenant) =>
      sumFigures([
        ...(older ? [older] : []),
        uptime(
          fromReadings,
          worstEachMinute,
          declaredImpacts(incidents, componentIds, end, tenant),
          maintenanceSpans(windows, componentIds, tenant),
        ),
      ]),
    );
  }

  /**
   * Figures of days older than the readings, from the daily figures. Those keep each component's
   * minutes by kind, not which minutes: for several components a day counts as the one with the
   * most downtime that day (what they came to together was at least that).
   */
  private async fromDays(componentIds: readonly string[], span: Span): Promise<UptimeFigures> {
    const rows = await this.db
      .selectFrom('status_days')
      .selectAll()
      .where('component_id', 'in', [...componentIds])
      .where('day', '>=', utcDay(span.start))
      .where('day', '<', utcDay(span.end))
      .execute();
    const worstOfDay = new Map<string, UptimeFigures>();
    for (const row of rows) {
      const counts = emptyCounts();
      for (const kind of minuteKinds) counts[kind] = row[kind];
      const figures = figuresOf(counts);
      const seen = worstOfDay.get(row.day);
      if (!seen || figures.downtimeMinutes > seen.downtimeMinutes) worstOfDay.set(row.day, figures);
    }
    const counted = sumFigures([...worstOfDay.values()]);
    // Days with no figures (before monitoring began, or never rolled up) are minutes without data.
    const spanMinutes = Math.round((span.end.getTime() - span.start.getTime()) / 60_000);
    return sumFigures([counted, figuresOf({ ...emptyCounts(), no_data: Math.max(0, spanMinutes - counted.minutes) })]);
  }

  /**
   * Rolls a UTC day up into each component's daily figures, from its readings, the incidents and
   * the platform-wide maintenance then (again, if it was before: a late report or incident).
   */
  async rollUp(day: string): Promise<number> {
    const rows = await this.dayRows(day);
    if (rows.length === 0) return 0;
    await this.db
      .insertInto('status_days')
      .values(rows)
      .onConflict((conflict) =>
        conflict.columns(['component_id', 'day']).doUpdateSet((eb) => ({
          operational: eb.ref('excluded.operational'),
          degraded: eb.ref('excluded.degraded'),
          partial_outage: eb.ref('excluded.partial_outage'),
          major_outage: eb.ref('excluded.major_outage'),
          maintenance: eb.ref('excluded.maintenance'),
          short_notice_maintenance: eb.ref('excluded.short_notice_maintenance'),
          no_data: eb.ref('excluded.no_data'),
          response_ms: eb.ref('excluded.response_ms'),
        })),
      )
      .execute();
    return rows.length;
  }

  /** A UTC day's figures per component, as far as the day has come: computed, not stored. */
  private async dayRows(day: string) {
    // Today is rolled up as far as it has come: minutes still ahead are not missing data.
    const end = Math.min(
      dayStart(day).getTime() + dayMs,
      Math.max(dayStart(day).getTime(), this.deps.clock.now().getTime()),
    );
    const span = { start: dayStart(day), end: new Date(end) };
    const [components, minutes, incidents, windows, responses] = await Promise.all([
      this.components(),
      this.readings.minutes(span),
      this.incidents.list({ span }),
      this.maintenance.overlapping(span),
      this.readings.responseTimes(span),
    ]);
    return components.map((component) => {
      const figures = uptime(
        span,
        minutes.get(component.id) ?? new Map(),
        declaredImpacts(incidents, [component.id], span.end),
        maintenanceSpans(windows, [component.id]),
      );
      return {
        component_id: component.id,
        day,
        operational: figures.operational,
        degraded: figures.degraded,
        partial_outage: figures.partialOutage,
        major_outage: figures.majorOutage,
        maintenance: figures.maintenance,
        short_notice_maintenance: figures.shortNoticeMaintenance,
        no_data: figures.noData,
        response_ms: responses.get(component.id) ?? null,
      };
    });
  }

  /** Each component's daily figures over the last `days` UTC days (today included), for the 90-day bars. */
  async dailyHistory(days: number): Promise<Map<string, { day: string; figures: UptimeFigures }[]>> {
    const now = this.deps.clock.now();
    const first = utcDay(new Date(now.getTime() - (days - 1) * dayMs));
    // Today as far as it has come, computed here: reading the page writes nothing.
    const today = utcDay(now);
    const stored = await this.db
      .selectFrom('status_days')
      .selectAll()
      .where('day', '>=', first)
      .where('day', '<', today)
      .execute();
    const rows = [...stored, ...(await this.dayRows(today))];
    const history = new Map<string, { day: string; figures: UptimeFigures }[]>();
    for (const row of rows) {
      const counts = emptyCounts();
      for (const kind of minuteKinds) counts[kind] = row[kind];
      history.set(row.component_id, [
        ...(history.get(row.component_id) ?? []),
        { day: row.day, figures: figuresOf(counts) },
      ]);
    }
    for (const list of history.values()) list.sort((a, b) => a.day.localeCompare(b.day));
    return history;
  }
}

const minuteKinds = [
  'operational',
  'degraded',
  'partial_outage',
  'major_outage',
  'maintenance',
  'short_notice_maintenance',
  'no_data',
] as const satisfies readonly MinuteKind[];

function emptyCounts(): Record<MinuteKind, number> {
  return Object.fromEntries(minuteKinds.map((kind) => [kind, 0])) as Record<MinuteKind, number>;
}

/** Figures of consecutive periods as one. */
function sumFigures(parts: readonly UptimeFigures[]): UptimeFigures {
  const counts = emptyCounts();
  for (const part of parts) {
    counts.operational += part.operational;
    counts.degraded += part.degraded;
    counts.partial_outage += part.partialOutage;
    counts.major_outage += part.majorOutage;
    counts.maintenance += part.maintenance;
    counts.short_notice_maintenance += part.shortNoticeMaintenance;
    counts.no_data += part.noData;
  }
  return figuresOf(counts);
}
