import { sql, type Selectable } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import { audit, rowId } from './status.tables.js';
import { queueNotice } from './status.subscribers.js';
import { appError } from '../../platform/errors.js';
import type { ComponentState } from '../../platform/probes.js';
import type { IncidentState, StatusIncidentsTable, StatusIncidentUpdatesTable, StatusDb } from './status.tables.js';
import type { DeclaredImpact, Span } from './status.uptime.js';

export interface IncidentUpdate {
  readonly state: IncidentState;
  readonly message: string;
  readonly author: string;
  readonly at: Date;
}

export interface Incident {
  readonly id: string;
  readonly title: string;
  readonly state: IncidentState;
  /** Opened by an alert and not yet confirmed by a person: never published. */
  readonly draft: boolean;
  /** The components it affects, and the state it declares each in. */
  readonly components: Readonly<Record<string, ComponentState>>;
  /** The workspaces it affects; undefined: all of them. */
  readonly tenants: readonly string[] | undefined;
  readonly openedBy: string;
  readonly startedAt: Date;
  readonly resolvedAt: Date | undefined;
  readonly updates: readonly IncidentUpdate[];
}

export interface OpenIncident {
  readonly title: string;
  readonly state?: Exclude<IncidentState, 'resolved'>;
  readonly message: string;
  readonly components: Readonly<Record<string, ComponentState>>;
  readonly tenants?: readonly string[] | undefined;
  /** When it began, if before it was opened (what the probes saw first). */
  readonly startedAt?: Date;
  readonly draft?: boolean;
  /** The alert that opened it as a draft (one draft per alert). */
  readonly alertKey?: string;
}

/** Incidents and their timestamped updates: opened and updated by staff, drafted by alerts. */
export class Incidents {
  constructor(
    private readonly db: StatusDb,
    private readonly clock: Clock,
  ) {}

  async open(input: OpenIncident, author: string): Promise<Incident> {
    const now = this.clock.now();
    const id = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('status_incidents')
        .values({
          title: input.title,
          state: input.state ?? 'investigating',
          draft: input.draft ?? false,
          components: { ...input.components },
          tenants: input.tenants ? [...input.tenants] : null,
          opened_by: author,
          started_at: input.startedAt ?? now,
          alert_key: input.alertKey ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('status_incident_updates')
        .values({ incident_id: row.id, state: input.state ?? 'investigating', message: input.message, author, at: now })
        .execute();
      if (!input.draft)
        await queueNotice(tx, incidentNotice(input.title, input.state ?? 'investigating', input.message, now));
      await audit(tx, {
        actor: author,
        action: input.draft ? 'status.incident_drafted' : 'status.incident_opened',
        tenantSlug: null,
        detail: { incident: row.id, title: input.title, components: input.components },
      });
      return String(row.id);
    });
    return this.get(id);
  }

  /** Adds an update; `resolved` closes it. A resolved incident takes no more updates. */
  async update(
    id: string,
    change: { state: IncidentState; message: string; components?: Readonly<Record<string, ComponentState>> },
    author: string,
  ): Promise<Incident> {
    const now = this.clock.now();
    const key = rowId(id, 'incident');
    await this.db.transaction().execute(async (tx) => {
      const incident = await tx
        .selectFrom('status_incidents')
        .select(['state', 'draft', 'title'])
        .where('id', '=', key)
        .forUpdate()
        .executeTakeFirst();
      if (!incident) throw appError('NOT_FOUND', `There is no incident ${id}.`);
      if (incident.state === 'resolved')
        throw appError('INCIDENT_RESOLVED', `Incident ${id} is resolved; open a new one for what happens next.`);
      await tx
        .updateTable('status_incidents')
        .set({
          state: change.state,
          ...(change.components ? { components: { ...change.components } } : {}),
          ...(change.state === 'resolved' ? { resolved_at: now } : {}),
        })
        .where('id', '=', key)
        .execute();
      await tx
        .insertInto('status_incident_updates')
        .values({ incident_id: key, state: change.state, message: change.message, author, at: now })
        .execute();
      if (!incident.draft) await queueNotice(tx, incidentNotice(incident.title, change.state, change.message, now));
      await audit(tx, {
        actor: author,
        action: 'status.incident_updated',
        tenantSlug: null,
        detail: { incident: id, state: change.state },
      });
    });
    return this.get(id);
  }

  /** Publishes a draft an alert opened: from now on it is on the status page. */
  async confirm(id: string, author: string): Promise<Incident> {
    const draft = await this.get(id); // 404 when there is no such incident
    const confirmed = await this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('status_incidents')
        .set({ draft: false })
        .where('id', '=', rowId(id, 'incident'))
        .where('draft', '=', true)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      // Published from now on: subscribers hear of it as it stands.
      await queueNotice(tx, incidentNotice(draft.title, draft.state, draft.updates[0]!.message, this.clock.now()));
      await audit(tx, {
        actor: author,
        action: 'status.incident_confirmed',
        tenantSlug: null,
        detail: { incident: id },
      });
      return true;
    });
    if (!confirmed) throw appError('INCIDENT_RESOLVED', `Incident ${id} is not a draft: it is already published.`);
    return this.get(id);
  }

  /** Throws away a draft nobody confirmed (it was never published). */
  async discard(id: string, author: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const key = rowId(id, 'incident');
      const draft = await tx
        .selectFrom('status_incidents')
        .select('draft')
        .where('id', '=', key)
        .forUpdate()
        .executeTakeFirst();
      if (!draft) throw appError('NOT_FOUND', `There is no incident ${id}.`);
      if (!draft.draft) throw appError('INCIDENT_RESOLVED', `Incident ${id} is published; resolve it instead.`);
      await tx.deleteFrom('status_incident_updates').where('incident_id', '=', key).execute();
      await tx.deleteFrom('status_incidents').where('id', '=', key).execute();
      await audit(tx, {
        actor: author,
        action: 'status.incident_discarded',
        tenantSlug: null,
        detail: { incident: id },
      });
    });
  }

  async get(id: string): Promise<Incident> {
    const [incident] = await this.list({ ids: [rowId(id, 'incident')], drafts: true });
    if (!incident) throw appError('NOT_FOUND', `There is no incident ${id}.`);
    return incident;
  }

  /** Incidents that overlap `span` (or still open), newest first; drafts only when asked. */
  async list(options: { span?: Span; drafts?: boolean; ids?: number[]; limit?: number } = {}): Promise<Incident[]> {
    let query = this.db.selectFrom('status_incidents').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc');
    if (options.ids) query = query.where('id', '=', sql<number>`ANY(${sql.val(options.ids)}::bigint[])`);
    if (!options.drafts) query = query.where('draft', '=', false);
    if (options.span) {
      const { start, end } = options.span;
      query = query
        .where('started_at', '<', end)
        .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>', start)]));
    }
    if (options.limit) query = query.limit(options.limit);
    const rows = await query.execute();
    if (rows.length === 0) return [];
    const updates = await this.db
      .selectFrom('status_incident_updates')
      .selectAll()
      .where('incident_id', '=', sql<number>`ANY(${sql.val(rows.map((row) => row.id))}::bigint[])`)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => incidentOf(row, updates));
  }

  /** The open draft an alert made, if any (one per alert). */
  async draftFor(alertKey: string): Promise<Incident | undefined> {
    const row = await this.db
      .selectFrom('status_incidents')
      .select('id')
      .where('alert_key', '=', alertKey)
      .where('state', '!=', 'resolved')
      .executeTakeFirst();
    return row ? this.get(String(row.id)) : undefined;
  }
}

function incidentOf(
  row: Selectable<StatusIncidentsTable>,
  updates: readonly Selectable<StatusIncidentUpdatesTable>[],
): Incident {
  return {
    id: String(row.id),
    title: row.title,
    state: row.state,
    draft: row.draft,
    components: row.components,
    tenants: row.tenants ?? undefined,
    openedBy: row.opened_by,
    startedAt: row.started_at,
    resolvedAt: row.resolved_at ?? undefined,
    updates: updates
      .filter((update) => update.incident_id === row.id)
      .map((update) => ({ state: update.state, message: update.message, author: update.author, at: update.at })),
  };
}

/**
 * What published incidents declare of one component, as spans the uptime arithmetic reads;
 * `tenant` adds those that affect only that workspace (a per-workspace report).
 */
export function declaredImpacts(
  incidents: readonly Incident[],
  componentIds: readonly string[],
  until: Date,
  tenant?: string,
): DeclaredImpact[] {
  return incidents
    .filter((incident) => !incident.draft)
    .filter((incident) => incident.tenants === undefined || (tenant !== undefined && incident.tenants.includes(tenant)))
    .flatMap((incident) =>
      componentIds
        .filter((id) => incident.components[id])
        .map((id) => ({
          start: incident.startedAt,
          end: incident.resolvedAt ?? until,
          state: incident.components[id]!,
        })),
    );
}

const stateWords: Record<IncidentState, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

/** What subscribers are told of an incident's update. */
function incidentNotice(title: string, state: IncidentState, message: string, at: Date) {
  return {
    subject: `${stateWords[state]}: ${title}`,
    body: `${title}\n\n${stateWords[state]}: ${message}\n\nPosted ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    at,
  };
}
