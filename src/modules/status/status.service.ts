import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import {
  worst,
  type ComponentState,
  type Probe,
  type ProbeOutcome,
  type ProbedComponent,
} from '../../platform/probes.js';
import { checkProbe, targetProblem } from './status.checks.js';
import { Incidents, declaredImpacts } from './status.incidents.js';
import { MaintenanceWindows } from './status.maintenance.js';
import { ProbeLocations } from './status.locations.js';
import { apiComponent, webComponent } from './status.platform-probes.js';
import { StatusReadings, type CurrentState, type Reading } from './status.readings.js';
import { randomBytes } from 'node:crypto';
import type { Evidence } from '../../platform/evidence.js';
import type { Mail } from '../../platform/mail/mail.js';
import { readingsEvidence } from './status.trust.js';
import { StatusSubscribers } from './status.subscribers.js';
import { UptimeHistory, dayMs, readingsKeepDays, utcDay } from './status.history.js';
import { SlaReports, type ReportedTenant } from './status.reports.js';
import { audit, type CheckKind, type CheckTarget, type StatusDb, type StatusTables } from './status.tables.js';
import type { StatusPageModel } from './status.page.js';
import { monthOf } from './status.uptime.js';

/** How often probes run unless configured otherwise. */
export const defaultProbeIntervalSeconds = 30;
/** A probe that has not answered within this is a major outage ("no answer"). */
export const probeTimeoutMs = 10_000;
/** Daily figures are kept this long: 13 months. */
export const daysKeepDays = 396;
/** The location the platform's own runner reports as. */
export const localLocation = 'local';

export interface Component extends ProbedComponent {
  readonly kind: 'builtin' | CheckKind;
  readonly target: CheckTarget;
  readonly public: boolean;
  readonly position: number;
}

/** A component as all probe locations see it now. */
export interface ObservedComponent {
  readonly id: string;
  readonly name: string;
  readonly state: ComponentState;
  readonly maintenance: boolean;
  readonly figures: Readonly<Record<string, number>>;
  readonly messages: readonly string[];
}

export interface ProbeResult {
  readonly component: ProbedComponent;
  readonly outcome: ProbeOutcome;
  readonly at: Date;
}

export interface StatusServiceDeps {
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The platform's public address (`https://example.com`): remote probe runners check the web app and API there. */
  readonly publicUrl: string;
  /** Seconds between probe rounds (default 30). */
  readonly probeIntervalSeconds?: number;
  /** Subscribers' mail goes out through the outbox; without it, notices wait unsent. */
  readonly mail?: Mail | undefined;
  /** Signs the links in subscribers' mail. */
  readonly secretKey?: string;
  /** Where the platform serves the status page (`https://status.example.com`): subscription links point there. */
  readonly statusUrl?: string;
  /** The status page's title. */
  readonly statusTitle?: string;
  /** The workspaces SLA reports cover (active and suspended); none when left out. */
  readonly tenants?: () => Promise<readonly ReportedTenant[]>;
}

/** What a remote probe runner is asked to check, and how often. */
export interface ProbePlan {
  readonly location: string;
  readonly intervalSeconds: number;
  readonly checks: { id: string; name: string; description: string; kind: CheckKind; target: CheckTarget }[];
}

/** One reading a remote runner sends (now, or later from its backlog). */
export interface ReportedReading {
  readonly componentId: string;
  readonly at: Date;
  readonly outcome: ProbeOutcome;
}

/**
 * Monitoring's record: the components a workspace depends on, what probes found of them per
 * minute, daily figures, incidents and maintenance, and the uptime they come to.
 */
export class StatusService {
  readonly readings: StatusReadings;
  readonly incidents: Incidents;
  readonly maintenance: MaintenanceWindows;
  readonly locations: ProbeLocations;
  readonly reports: SlaReports;
  readonly subscribers: StatusSubscribers;
  /** Uptime over time: periods, the daily roll-up, the bars' days. */
  readonly history: UptimeHistory;
  private readonly db: StatusDb;
  private readonly roundListeners: ((components: ObservedComponent[]) => Promise<unknown>)[] = [];

  constructor(private readonly deps: StatusServiceDeps) {
    this.db = deps.db.withTables<StatusTables>();
    this.readings = new StatusReadings(this.db);
    this.incidents = new Incidents(this.db, deps.clock);
    this.maintenance = new MaintenanceWindows(this.db, deps.clock);
    this.locations = new ProbeLocations(this.db, deps.clock);
    this.history = new UptimeHistory({
      db: this.db,
      clock: deps.clock,
      readings: this.readings,
      incidents: this.incidents,
      maintenance: this.maintenance,
      components: () => this.components(),
    });
    this.subscribers = new StatusSubscribers({
      db: this.db,
      clock: deps.clock,
      mail: deps.mail,
      secretKey: deps.secretKey ?? randomBytes(32).toString('base64url'),
      statusUrl: this.statusUrl,
      title: () => deps.statusTitle ?? 'Status',
    });
    this.reports = new SlaReports({
      history: this.history,
      incidents: this.incidents,
      db: this.db,
      clock: deps.clock,
      tenants: deps.tenants ?? (async () => []),
    });
  }

  /** Where the platform serves the status page: the subscription form posts there. */
  get statusUrl(): string {
    return this.deps.statusUrl ?? this.deps.publicUrl.replace('://', '://status.');
  }

  /**
   * What a remote runner checks: the web app and the API at the platform's public address (as a
   * browser reaches them), and the operator's own checks. What only the platform can see (its
   * database, disk, WAL) is probed by its own runner.
   */
  async plan(location: string): Promise<ProbePlan> {
    const checks = (await this.components()).filter((component) => component.kind !== 'builtin');
    return {
      location,
      intervalSeconds: this.intervalSeconds,
      checks: [
        { ...webComponent, kind: 'http', target: { url: `${this.deps.publicUrl}/healthz`, insecure: true } },
        { ...apiComponent, kind: 'http', target: { url: `${this.deps.publicUrl}/readyz`, insecure: true } },
        ...checks.map((check) => ({
          id: check.id,
          name: check.name,
          description: check.description,
          kind: check.kind as CheckKind,
          target: check.target,
        })),
      ],
    };
  }

  /**
   * Keeps a remote location's readings: only of the components its plan names, and only from
   * the last `readingsKeepDays` up to a minute ahead (a runner's clock may be a little off);
   * a backlog sent after an outage lands in the minutes it was measured.
   */
  async acceptReport(
    location: string,
    readings: readonly ReportedReading[],
  ): Promise<{ accepted: number; refused: number }> {
    const now = this.deps.clock.now().getTime();
    const planned = new Set((await this.plan(location)).checks.map((check) => check.id));
    const kept = readings.filter(
      (reading) =>
        planned.has(reading.componentId) &&
        reading.at.getTime() > now - readingsKeepDays * dayMs &&
        reading.at.getTime() < now + 60_000,
    );
    await this.remember([webComponent, apiComponent]);
    await this.readings.record(location, kept);
    return { accepted: kept.length, refused: readings.length - kept.length };
  }

  get log(): Logger {
    return this.deps.log;
  }

  /** Seconds between probe rounds, here and in every remote runner's plan. */
  get intervalSeconds(): number {
    return this.deps.probeIntervalSeconds ?? defaultProbeIntervalSeconds;
  }

  /** The components on record, in the status page's order (hidden ones included). */
  async components(): Promise<Component[]> {
    const rows = await this.db
      .selectFrom('status_components')
      .selectAll()
      .where('removed_at', 'is', null)
      .orderBy('position')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      kind: row.kind,
      target: row.target,
      public: row.public,
      position: row.position,
    }));
  }

  /**
   * Runs one round: every probe at once, each within `probeTimeoutMs`, and keeps what they found
   * under `location`. The modules' components are put on record as they are first probed.
   */
  async probeRound(moduleProbes: readonly Probe[], location = localLocation): Promise<ProbeResult[]> {
    await this.remember(moduleProbes.map((probe) => probe.component));
    const probes = [...moduleProbes, ...(await this.checkProbes())];
    const results = await Promise.all(probes.map((probe) => this.run(probe)));
    await this.readings.record(
      location,
      results.map((result): Reading => ({ componentId: result.component.id, at: result.at, outcome: result.outcome })),
    );
    if (this.roundListeners.length > 0) {
      const observed = await this.observed();
      for (const listener of this.roundListeners)
        await listener(observed).catch((error: unknown) =>
          this.deps.log.error({ err: error }, 'acting on a probe round failed'),
        );
    }
    return results;
  }

  /** Called after each round this process runs, with every component as all locations see it now (alerts). */
  onRound(listener: (components: ObservedComponent[]) => Promise<unknown>): void {
    this.roundListeners.push(listener);
  }

  /** Every component on record as all locations see it now: state, maintenance, figures and what each said. */
  async observed(): Promise<ObservedComponent[]> {
    const [components, current] = await Promise.all([this.components(), this.current()]);
    return components.map((component) => {
      const now = current.get(component.id);
      return {
        id: component.id,
        name: component.name,
        state: now?.state ?? 'operational',
        maintenance: now?.maintenance ?? false,
        figures: now?.figures ?? {},
        messages: (now?.locations ?? []).map((location) =>
          now!.locations.length > 1 ? `${location.location}: ${location.message}` : location.message,
        ),
      };
    });
  }

  /** The operator's own checks (HTTP, TCP, TLS) as probes. */
  async checkProbes(): Promise<Probe[]> {
    return (await this.components())
      .filter((component) => component.kind !== 'builtin')
      .map((component) => checkProbe(component, component.kind as CheckKind, component.target));
  }

  private async run(probe: Probe): Promise<ProbeResult> {
    const at = this.deps.clock.now();
    const signal = AbortSignal.timeout(probeTimeoutMs);
    const outcome = await probe.check(signal).catch((error: unknown): ProbeOutcome => ({
      state: 'major_outage',
      message: signal.aborted
        ? `no answer within ${probeTimeoutMs / 1000} s`
        : `failed: ${error instanceof Error ? error.message : String(error)}`,
    }));
    return { component: probe.component, outcome, at };
  }

  /** Puts components a module probes on record (their name and description follow the module). */
  private async remember(components: readonly ProbedComponent[]): Promise<void> {
    if (components.length === 0) return;
    await this.db
      .insertInto('status_components')
      .values(
        components.map((c) => ({
          id: c.id,
          name: c.name,
          description: c.description,
          kind: 'builtin' as const,
          public: c.public ?? true,
        })),
      )
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          description: eb.ref('excluded.description'),
          removed_at: null,
        })),
      )
      .execute();
  }

  /** Adds an operator's check (its id is `check:<slug of its name>`). */
  async addCheck(
    input: {
      name: string;
      description?: string | undefined;
      kind: CheckKind;
      target: CheckTarget;
      public?: boolean | undefined;
    },
    author: string,
  ): Promise<Component> {
    const problem = targetProblem(input.kind, input.target);
    if (problem) throw appError('VALIDATION_FAILED', problem);
    const slug = input.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    if (!slug) throw appError('VALIDATION_FAILED', 'A check needs a name with a letter or digit in it.');
    const id = `check:${slug}`;
    const inserted = await this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('status_components')
        .values({
          id,
          name: input.name,
          description: input.description ?? '',
          kind: input.kind,
          target: { ...input.target },
          public: input.public ?? true,
          position: 1000,
        })
        .onConflict((conflict) =>
          // A check removed before comes back under its name; one on record is not replaced.
          conflict
            .column('id')
            .doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              description: eb.ref('excluded.description'),
              kind: eb.ref('excluded.kind'),
              target: eb.ref('excluded.target'),
              public: eb.ref('excluded.public'),
              removed_at: null,
            }))
            .where('status_components.removed_at', 'is not', null),
        )
        .returning('id')
        .executeTakeFirst();
      if (inserted)
        await audit(tx, {
          actor: author,
          action: 'status.check_added',
          tenantSlug: null,
          detail: { id, kind: input.kind, target: input.target },
        });
      return inserted;
    });
    if (!inserted) throw appError('ALREADY_EXISTS', `There is already a check named like "${input.name}" (${id}).`);
    return this.component(id);
  }

  /** Changes how a component shows on the status page. */
  async arrange(
    id: string,
    change: { public?: boolean | undefined; position?: number | undefined; name?: string | undefined },
    author: string,
  ): Promise<Component> {
    await this.component(id);
    const set = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
    if (Object.keys(set).length > 0)
      await this.db.transaction().execute(async (tx) => {
        await tx.updateTable('status_components').set(set).where('id', '=', id).execute();
        await audit(tx, {
          actor: author,
          action: 'status.component_changed',
          tenantSlug: null,
          detail: { id, ...set },
        });
      });
    return this.component(id);
  }

  /** Removes an operator's check (its history stays for the months it counted in). */
  async removeCheck(id: string, author: string): Promise<void> {
    const component = await this.component(id);
    if (component.kind === 'builtin')
      throw appError('VALIDATION_FAILED', `${component.name} is probed by the platform itself; hide it instead.`);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('status_components')
        .set({ removed_at: this.deps.clock.now() })
        .where('id', '=', id)
        .execute();
      await audit(tx, { actor: author, action: 'status.check_removed', tenantSlug: null, detail: { id } });
    });
  }

  async component(id: string): Promise<Component> {
    const found = (await this.components()).find((component) => component.id === id);
    if (!found) throw appError('NOT_FOUND', `There is no component ${id}.`);
    return found;
  }

  /** Each component's state now, with maintenance under way and open incidents applied. */
  async current(): Promise<Map<string, CurrentState & { maintenance: boolean }>> {
    const now = this.deps.clock.now();
    const [measured, windows, open] = await Promise.all([
      this.readings.current(now),
      this.maintenance.overlapping({ start: now, end: new Date(now.getTime() + 1) }),
      this.incidents.list({ span: { start: now, end: new Date(now.getTime() + 1) } }),
    ]);
    const states = new Map<string, CurrentState & { maintenance: boolean }>();
    for (const component of await this.components()) {
      const reading = measured.get(component.id);
      const declared = declaredImpacts(open, [component.id], now);
      const base = reading ?? {
        componentId: component.id,
        state: 'operational' as const,
        seenDownFrom: [],
        locations: [],
        figures: {},
      };
      const state = declared.reduce((state, impact) => worst(state, impact.state), base.state);
      states.set(component.id, {
        ...base,
        state,
        maintenance: windows.some((window) => !window.tenants && window.components.includes(component.id)),
      });
    }
    return states;
  }

  /** The daily job: rolls up yesterday and today so far, issues last month's SLA reports, and drops what is past keeping. */
  async dailyUpkeep(): Promise<{
    rolledUp: number;
    reportsIssued: number;
    readingsPruned: number;
    daysPruned: number;
  }> {
    const now = this.deps.clock.now();
    let rolledUp = 0;
    for (const day of [utcDay(new Date(now.getTime() - dayMs)), utcDay(now)])
      rolledUp += await this.history.rollUp(day);
    // Before the readings are pruned: a report counts its month minute by minute.
    const reportsIssued = await this.reports.issueDue();
    const readingsPruned = await this.readings.prune(new Date(now.getTime() - readingsKeepDays * dayMs));
    const pruned = await this.db
      .deleteFrom('status_days')
      .where('day', '<', sql<string>`${utcDay(new Date(now.getTime() - daysKeepDays * dayMs))}::date`)
      .executeTakeFirst();
    return { rolledUp, reportsIssued, readingsPruned, daysPruned: Number(pruned.numDeletedRows) };
  }

  /** What the public status page shows now: public components, incidents of the last 14 days, maintenance ahead. */
  async pageModel(
    title: string,
    siteUrl: string | undefined,
    moduleEvidence?: () => Promise<readonly Evidence[]>,
  ): Promise<StatusPageModel> {
    const now = this.deps.clock.now();
    // The trust page's figures: the status page is published without them rather than not at all.
    const gathered = (evidence: Promise<readonly Evidence[]>) =>
      evidence.catch((error: unknown) => {
        this.log.warn({ err: error }, 'could not gather the trust page’s evidence');
        return [];
      });
    const evidence = Promise.all([
      gathered(readingsEvidence(this.db, now)),
      gathered(moduleEvidence?.() ?? Promise.resolve([])),
    ]).then((parts) => parts.flat());
    const [components, current, history, incidents, maintenance] = await Promise.all([
      this.components(),
      this.current(),
      this.history.dailyHistory(90),
      this.incidents.list({ span: { start: new Date(now.getTime() - 14 * dayMs), end: new Date(now.getTime() + 1) } }),
      this.maintenance.upcoming(now),
    ]);
    const days = Array.from({ length: 90 }, (_, i) => utcDay(new Date(now.getTime() - (89 - i) * dayMs)));
    const month = monthOf(now);
    const shown = components.filter((component) => component.public);
    return {
      title,
      siteUrl,
      subscribeUrl: this.statusUrl,
      generatedAt: now,
      components: await Promise.all(
        shown.map(async (component) => {
          const byDay = new Map((history.get(component.id) ?? []).map((entry) => [entry.day, entry.figures]));
          const state = current.get(component.id);
          return {
            id: component.id,
            name: component.name,
            description: component.description,
            state: state?.state ?? 'operational',
            maintenance: state?.maintenance ?? false,
            days: days.map((day) => ({ day, figures: byDay.get(day) })),
            month: await this.history.uptime([component.id], month),
          };
        }),
      ),
      incidents: [
        ...incidents.filter((incident) => incident.state !== 'resolved'),
        ...incidents.filter((incident) => incident.state === 'resolved'),
      ],
      maintenance: maintenance.filter((window) => window.tenants === undefined),
      evidence: await evidence,
    };
  }
}
