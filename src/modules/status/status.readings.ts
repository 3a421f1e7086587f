import { sql } from 'kysely';
import { componentStates, type ComponentState, type ProbeOutcome } from '../../platform/probes.js';
import { combineLocations, minuteMs, minuteOf, type Span } from './status.uptime.js';
import type { StatusDb } from './status.tables.js';

/** One probe's result as a location reports it. */
export interface Reading {
  readonly componentId: string;
  readonly at: Date;
  readonly outcome: ProbeOutcome;
}

/** What every location that reported lately found of a component, combined (see combineLocations). */
export interface CurrentState {
  readonly componentId: string;
  readonly state: ComponentState;
  readonly seenDownFrom: string[];
  /** Each location's latest reading. */
  readonly locations: {
    location: string;
    state: ComponentState;
    message: string;
    responseMs: number | null;
    at: Date;
  }[];
  readonly figures: Record<string, number>;
}

/** A location's readings older than this are no longer part of a component's current state. */
export const currentWithinMs = 2 * minuteMs;

const severitySql = (column: string) =>
  sql`array_position(${sql.val([...componentStates])}::text[], ${sql.ref(column)})`;

/** What probe locations measured, per component, minute and location: written by the runners, read by everything else. */
export class StatusReadings {
  constructor(private readonly db: StatusDb) {}

  /**
   * Keeps readings under their minute: the minute keeps its worst state (and that state's
   * message), the mean response time and the latest figures. A runner reporting again, or late,
   * lands in the same rows.
   */
  async record(location: string, readings: readonly Reading[]): Promise<void> {
    if (readings.length === 0) return;
    await this.db
      .insertInto('status_readings')
      .values(
        readings.map(({ componentId, at, outcome }) => ({
          component_id: componentId,
          minute: new Date(minuteOf(at)),
          location,
          state: outcome.state,
          response_ms: outcome.responseMs ?? null,
          message: outcome.message,
          figures: { ...outcome.figures },
          checked_at: at,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['component_id', 'minute', 'location']).doUpdateSet((eb) => {
          const worse = sql<boolean>`${severitySql('excluded.state')} >= ${severitySql('status_readings.state')}`;
          return {
            state: sql`CASE WHEN ${worse} THEN excluded.state ELSE status_readings.state END`,
            message: sql`CASE WHEN ${worse} THEN excluded.message ELSE status_readings.message END`,
            response_ms: sql`CASE
              WHEN excluded.response_ms IS NULL THEN status_readings.response_ms
              WHEN status_readings.response_ms IS NULL THEN excluded.response_ms
              ELSE (status_readings.response_ms * status_readings.checks + excluded.response_ms) / (status_readings.checks + 1)
            END`,
            checks: sql`status_readings.checks + 1`,
            figures: eb.ref('excluded.figures'),
            checked_at: sql`greatest(status_readings.checked_at, excluded.checked_at)`,
          };
        }),
      )
      .execute();
  }

  /** Each component's state now: every location's latest reading within `currentWithinMs`, combined. */
  async current(now: Date): Promise<Map<string, CurrentState>> {
    const rows = await this.db
      .selectFrom('status_readings')
      .distinctOn(['component_id', 'location'])
      .select(['component_id', 'location', 'state', 'message', 'response_ms', 'figures', 'checked_at'])
      .where('minute', '>=', new Date(minuteOf(now.getTime() - currentWithinMs)))
      .orderBy('component_id')
      .orderBy('location')
      .orderBy('minute', 'desc')
      .execute();
    const byComponent = new Map<string, typeof rows>();
    for (const row of rows) byComponent.set(row.component_id, [...(byComponent.get(row.component_id) ?? []), row]);
    const current = new Map<string, CurrentState>();
    for (const [componentId, latest] of byComponent) {
      const { state, seenDownFrom } = combineLocations(latest);
      current.set(componentId, {
        componentId,
        state: state!,
        seenDownFrom,
        locations: latest.map((row) => ({
          location: row.location,
          state: row.state,
          message: row.message,
          responseMs: row.response_ms,
          at: row.checked_at,
        })),
        figures: Object.assign({}, ...latest.map((row) => row.figures)) as Record<string, number>,
      });
    }
    return current;
  }

  /** The combined state of each minute of `span` that some location measured, per component. */
  async minutes(span: Span, componentIds?: readonly string[]): Promise<Map<string, Map<number, ComponentState>>> {
    let query = this.db
      .selectFrom('status_readings')
      .select(['component_id', 'minute', 'location', 'state'])
      .where('minute', '>=', span.start)
      .where('minute', '<', span.end);
    if (componentIds) query = query.where('component_id', '=', sql<string>`ANY(${sql.val([...componentIds])}::text[])`);
    const rows = await query.execute();
    const grouped = new Map<string, Map<number, { location: string; state: ComponentState }[]>>();
    for (const row of rows) {
      const minutes = grouped.get(row.component_id) ?? new Map<number, { location: string; state: ComponentState }[]>();
      grouped.set(row.component_id, minutes);
      const minute = row.minute.getTime();
      minutes.set(minute, [...(minutes.get(minute) ?? []), row]);
    }
    const combined = new Map<string, Map<number, ComponentState>>();
    for (const [componentId, minutes] of grouped)
      combined.set(
        componentId,
        new Map([...minutes].map(([minute, readings]) => [minute, combineLocations(readings).state!])),
      );
    return combined;
  }

  /** Mean response time per component over `span`, from the minutes that measured one. */
  async responseTimes(span: Span): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('status_readings')
      .select(['component_id', (eb) => eb.fn.avg<number>('response_ms').as('ms')])
      .where('minute', '>=', span.start)
      .where('minute', '<', span.end)
      .where('response_ms', 'is not', null)
      .groupBy('component_id')
      .execute();
    return new Map(rows.map((row) => [row.component_id, Number(row.ms)]));
  }

  /** Removes readings older than `before` (their days are rolled up by then). */
  async prune(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('status_readings').where('minute', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
