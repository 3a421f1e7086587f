import { sql, type Selectable } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import { queueNotice } from './status.subscribers.js';
import { audit, rowId } from './status.tables.js';
import { appError } from '../../platform/errors.js';
import type { StatusMaintenanceTable, StatusDb } from './status.tables.js';
import { maintenanceNoticeMs, type MaintenanceSpan, type Span } from './status.uptime.js';

export interface Maintenance {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly components: readonly string[];
  /** The workspaces it affects; undefined: all of them. */
  readonly tenants: readonly string[] | undefined;
  readonly startsAt: Date;
  readonly endsAt: Date;
  /** When it was scheduled: what its notice is counted from. */
  readonly announcedAt: Date;
  /** Announced less than 24 h ahead: it counts as downtime, and says why. */
  readonly shortNotice: boolean;
  readonly reason: string | undefined;
  readonly scheduledBy: string;
  readonly cancelledAt: Date | undefined;
}

export interface ScheduleMaintenance {
  readonly title: string;
  readonly description?: string;
  readonly components: readonly string[];
  readonly tenants?: readonly string[] | undefined;
  readonly startsAt: Date;
  readonly endsAt: Date;
  /** Required when it starts less than 24 h from now. */
  readonly reason?: string | undefined;
}

/**
 * Maintenance windows. One scheduled at least 24 h ahead is removed from the month's uptime;
 * one scheduled later needs a stated reason, is marked short-notice and counts as downtime.
 * A window is not moved: it is cancelled before it starts (or ended early) and another is
 * scheduled, so its notice is always counted from when the window people saw was announced.
 */
export class MaintenanceWindows {
  constructor(
    private readonly db: StatusDb,
    private readonly clock: Clock,
  ) {}

  async schedule(input: ScheduleMaintenance, author: string): Promise<Maintenance> {
    const now = this.clock.now();
    if (input.endsAt <= input.startsAt)
      throw appError('VALIDATION_FAILED', 'A maintenance window must end after it starts.');
    if (input.endsAt <= now)
      throw appError('VALIDATION_FAILED', 'That window is already over; record what happened as an incident instead.');
    const shortNotice = input.startsAt.getTime() - now.getTime() < maintenanceNoticeMs;
    const reason = input.reason?.trim() || undefined;
    if (shortNotice && !reason)
      throw appError(
        'MAINTENANCE_REASON_REQUIRED',
        'This window starts less than 24 hours from now, so it is short-notice: it counts as downtime, and it needs a reason that the status page and the sign-in page show.',
      );
    const row = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('status_maintenance')
        .values({
          title: input.title,
          description: input.description ?? '',
          components: [...input.components],
          tenants: input.tenants ? [...input.tenants] : null,
          starts_at: input.startsAt,
          ends_at: input.endsAt,
          announced_at: now,
          short_notice: shortNotice,
          reason: reason ?? null,
          scheduled_by: author,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // Subscribers of the public page hear of windows for everyone; a workspace's own shows on its sign-in page.
      if (!input.tenants) await queueNotice(tx, maintenanceNotice('Scheduled maintenance', maintenanceOf(row)));
      await audit(tx, {
        actor: author,
        action: 'status.maintenance_scheduled',
        tenantSlug: null,
        detail: {
          maintenance: row.id,
          title: input.title,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          shortNotice,
          reason,
        },
      });
      return row;
    });
    return maintenanceOf(row);
  }

  /** Cancels a window that has not started; one under way is ended instead. */
  async cancel(id: string, author: string): Promise<Maintenance> {
    const now = this.clock.now();
    const window = await this.get(id);
    if (window.cancelledAt) throw appError('MAINTENANCE_STATE', `Maintenance ${id} is already cancelled.`);
    if (window.startsAt <= now)
      throw appError(
        'MAINTENANCE_STATE',
        `Maintenance ${id} has started; end it instead (what happened stays on record).`,
      );
    await this.change(id, { cancelled_at: now }, author, 'status.maintenance_cancelled', (tx) =>
      window.tenants ? Promise.resolve() : queueNotice(tx, maintenanceNotice('Maintenance cancelled', window, now)),
    );
    return this.get(id);
  }

  /** Ends a window under way now, earlier than scheduled. */
  async end(id: string, author: string): Promise<Maintenance> {
    const now = this.clock.now();
    const window = await this.get(id);
    if (window.cancelledAt || window.startsAt > now || window.endsAt <= now)
      throw appError('MAINTENANCE_STATE', `Maintenance ${id} is not under way, so it cannot be ended.`);
    await this.change(id, { ends_at: now }, author, 'status.maintenance_ended');
    return this.get(id);
  }

  private async change(
    id: string,
    set: { cancelled_at?: Date; ends_at?: Date },
    author: string,
    action: string,
    alsoInTransaction?: (tx: StatusDb) => Promise<void>,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('status_maintenance').set(set).where('id', '=', rowId(id, 'maintenance window')).execute();
      await alsoInTransaction?.(tx);
      await audit(tx, { actor: author, action, tenantSlug: null, detail: { maintenance: id } });
    });
  }

  async get(id: string): Promise<Maintenance> {
    const row = await this.db
      .selectFrom('status_maintenance')
      .selectAll()
      .where('id', '=', rowId(id, 'maintenance window'))
      .executeTakeFirst();
    if (!row) throw appError('NOT_FOUND', `There is no maintenance window ${id}.`);
    return maintenanceOf(row);
  }

  /** Windows not cancelled that overlap `span`, soonest first; `tenant` keeps those that affect it. */
  async overlapping(span: Span, tenant?: string): Promise<Maintenance[]> {
    let query = this.db
      .selectFrom('status_maintenance')
      .selectAll()
      .where('cancelled_at', 'is', null)
      .where('starts_at', '<', span.end)
      .where('ends_at', '>', span.start)
      .orderBy('starts_at')
      .orderBy('id');
    if (tenant !== undefined)
      query = query.where((eb) =>
        eb.or([eb('tenants', 'is', null), eb(sql.val(tenant), '=', sql<string>`ANY(tenants)`)]),
      );
    return (await query.execute()).map(maintenanceOf);
  }

  /** What a workspace's people see: windows under way or still ahead (cancelled ones not). */
  upcoming(now: Date, tenant?: string): Promise<Maintenance[]> {
    return this.overlapping({ start: now, end: new Date(8.64e15) }, tenant);
  }
}

function maintenanceOf(row: Selectable<StatusMaintenanceTable>): Maintenance {
  return {
    id: String(row.id),
    title: row.title,
    description: row.description,
    components: row.components,
    tenants: row.tenants ?? undefined,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    announcedAt: row.announced_at,
    shortNotice: row.short_notice,
    reason: row.reason ?? undefined,
    scheduledBy: row.scheduled_by,
    cancelledAt: row.cancelled_at ?? undefined,
  };
}

/** The windows covering any of `componentIds`, as the uptime arithmetic reads them; `tenant` adds its own. */
export function maintenanceSpans(
  windows: readonly Maintenance[],
  componentIds: readonly string[],
  tenant?: string,
): MaintenanceSpan[] {
  return windows
    .filter((window) => !window.cancelledAt)
    .filter((window) => window.tenants === undefined || (tenant !== undefined && window.tenants.includes(tenant)))
    .filter((window) => window.components.some((id) => componentIds.includes(id)))
    .map((window) => ({ start: window.startsAt, end: window.endsAt, announcedAt: window.announcedAt }));
}

/** What subscribers are told of a window: when, and why it is short notice. */
function maintenanceNotice(what: string, window: Maintenance, at: Date = window.announcedAt) {
  const utc = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return {
    subject: `${what}: ${window.title}`,
    body: `${what}: ${window.title}\n\n${utc(window.startsAt)} to ${utc(window.endsAt)}.${
      window.shortNotice ? `\nAnnounced at short notice: ${window.reason ?? ''}` : ''
    }${window.description ? `\n\n${window.description}` : ''}`,
    at,
  };
}
