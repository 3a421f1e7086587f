import type { Clock } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import { severity, type ComponentState } from '../../platform/probes.js';
import type { Incident, Incidents } from './status.incidents.js';
import type { UptimeHistory } from './status.history.js';
import type { StatusDb } from './status.tables.js';
import {
  downtimeBudget,
  monthOf,
  promisedAvailability,
  type BudgetRow,
  type Span,
  type UptimeFigures,
} from './status.uptime.js';

/** What a workspace's service is: its availability is the worst of these each minute. */
export const serviceComponents = ['web', 'api', 'database'] as const;

/** A workspace as a report names it. */
export interface ReportedTenant {
  readonly slug: string;
  readonly name: string;
}

/** An incident in a report: what it was, when, and the worst it declared. */
export interface ReportedIncident {
  readonly id: string;
  readonly title: string;
  readonly startedAt: string;
  readonly resolvedAt: string | null;
  readonly impact: ComponentState;
}

/** One workspace's month against the promise, by the formula the status page publishes. */
export interface SlaReport {
  readonly month: string;
  readonly tenant: string;
  readonly name: string;
  readonly target: number;
  readonly figures: UptimeFigures;
  /** Whether the month met the target; null when no minute of it counted. */
  readonly met: boolean | null;
  readonly incidents: readonly ReportedIncident[];
  readonly budget: readonly BudgetRow[];
  /** When it was issued, once the month was over; null while the month is under way (provisional). */
  readonly issuedAt: string | null;
}

export interface SlaReportsDeps {
  readonly history: Pick<UptimeHistory, 'uptimeEach'>;
  readonly incidents: Pick<Incidents, 'list'>;
  readonly db: StatusDb;
  readonly clock: Clock;
  /** Every workspace a report covers (active and suspended). */
  readonly tenants: () => Promise<readonly ReportedTenant[]>;
}

const monthPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * Monthly SLA reports per workspace. A month under way is computed when asked and marked
 * provisional; once it is over, the daily job issues each workspace's report from the per-minute
 * readings (kept 35 days, so a whole month is still there) and keeps it as issued: a report sent
 * to a customer never changes under them.
 */
export class SlaReports {
  constructor(private readonly deps: SlaReportsDeps) {}

  /** Every workspace's report of a month, by name. */
  async month(month: string): Promise<SlaReport[]> {
    const period = this.period(month);
    const tenants = await this.deps.tenants();
    const issued = await this.issued(month);
    const missing = tenants.filter((tenant) => !issued.has(tenant.slug));
    const computed = missing.length > 0 ? await this.compute(month, period, missing, null) : [];
    return [...tenants.flatMap((tenant) => issued.get(tenant.slug) ?? []), ...computed].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
  }

  /** One workspace's report of a month. */
  async tenant(month: string, slug: string): Promise<SlaReport> {
    const period = this.period(month);
    const issued = (await this.issued(month, slug)).get(slug);
    if (issued) return issued;
    const tenant = (await this.deps.tenants()).find((candidate) => candidate.slug === slug);
    if (!tenant) throw appError('NOT_FOUND', `There is no workspace "${slug}".`);
    return (await this.compute(month, period, [tenant], null))[0]!;
  }

  /**
   * Issues the reports of every month that is over and not yet issued, back to the first month
   * with readings of it: run daily. Returns how many were issued.
   */
  async issueDue(): Promise<number> {
    const now = this.deps.clock.now();
    const previous = monthOf(new Date(monthOf(now).start.getTime() - 1));
    const month = previous.start.toISOString().slice(0, 7);
    const tenants = await this.deps.tenants();
    const issued = await this.issued(month);
    const due = tenants.filter((tenant) => !issued.has(tenant.slug));
    if (due.length === 0) return 0;
    const reports = await this.compute(month, previous, due, now.toISOString());
    await this.deps.db
      .insertInto('status_sla_reports')
      .values(
        reports.map((report) => ({
          month,
          tenant_slug: report.tenant,
          report: JSON.stringify(report),
          issued_at: now,
        })),
      )
      .onConflict((conflict) => conflict.columns(['month', 'tenant_slug']).doNothing())
      .execute();
    return reports.length;
  }

  private period(month: string): Span {
    const match = monthPattern.exec(month);
    if (!match) throw appError('VALIDATION_FAILED', `"${month}" is not a month: write it YYYY-MM, such as 2026-11.`);
    const period = monthOf(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
    if (period.start > this.deps.clock.now())
      throw appError('VALIDATION_FAILED', `${month} has not begun: a report covers a month under way or past.`);
    return period;
  }

  private async issued(month: string, slug?: string): Promise<Map<string, SlaReport>> {
    let query = this.deps.db
      .selectFrom('status_sla_reports')
      .select(['tenant_slug', 'report'])
      .where('month', '=', month);
    if (slug !== undefined) query = query.where('tenant_slug', '=', slug);
    const rows = await query.execute();
    return new Map(rows.map((row) => [row.tenant_slug, row.report as unknown as SlaReport]));
  }

  private async compute(
    month: string,
    period: Span,
    tenants: readonly ReportedTenant[],
    issuedAt: string | null,
  ): Promise<SlaReport[]> {
    const { history, incidents: allIncidents } = this.deps;
    const [figures, incidents] = await Promise.all([
      history.uptimeEach(
        serviceComponents,
        period,
        tenants.map((tenant) => tenant.slug),
      ),
      allIncidents.list({ span: period }),
    ]);
    return tenants.map((tenant, i) => {
      const monthFigures = figures[i]!;
      return {
        month,
        tenant: tenant.slug,
        name: tenant.name,
        target: promisedAvailability,
        figures: monthFigures,
        met: monthFigures.availability === undefined ? null : monthFigures.availability >= promisedAvailability,
        incidents: incidents.filter((incident) => affects(incident, tenant.slug)).map(reported),
        budget: downtimeBudget(monthFigures),
        issuedAt,
      };
    });
  }
}

const affects = (incident: Incident, tenant: string): boolean =>
  !incident.draft && (incident.tenants === undefined || incident.tenants.includes(tenant));

function reported(incident: Incident): ReportedIncident {
  const declared = Object.values(incident.components);
  return {
    id: incident.id,
    title: incident.title,
    startedAt: incident.startedAt.toISOString(),
    resolvedAt: incident.resolvedAt?.toISOString() ?? null,
    impact: declared.reduce<ComponentState>(
      (worst, state) => (severity(state) > severity(worst) ? state : worst),
      'operational',
    ),
  };
}
