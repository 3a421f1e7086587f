import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import type { Mail } from '../../platform/mail/mail.js';
import type { TenantView } from '../tenancy/index.js';
import type { IdentityService } from './identity.service.js';
import type { Client, StaffService } from './identity.staff.js';
import type { GrantStatus, StaffDatabase, StaffTables, SupportGrantsTable } from './identity.staff-tables.js';
import { newSecret, secretHash } from './identity.tokens.js';

/**
 * Support access: the only way the platform's staff enter a workspace. A grant names the
 * workspace, the reason and how long (default an hour, at most eight); a workspace that asks for
 * it approves each grant first (its owners and admins get a mail, the request lapses after a
 * day). A grant becomes a session on the workspace's host through a one-time entry link, and the
 * session ends with the grant: when it expires, when the staff member ends it, when the
 * workspace's admins revoke it. Every step is in the workspace's audit log and the platform's.
 */
export interface SupportServiceDeps {
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  readonly staff: StaffService;
  readonly identity: Pick<IdentityService, 'recordAudit' | 'securitySettings' | 'members'>;
  /** An active workspace by slug (TENANT_NOT_FOUND, TENANT_SUSPENDED otherwise). */
  readonly workspace: (slug: string) => Promise<TenantView>;
  readonly mail: Pick<Mail, 'send'>;
}

/** A member of staff as support acts: on the console (requests, entries) or inside a workspace. */
export interface StaffRef {
  readonly staffId: string;
  readonly name: string;
}

export interface GrantView {
  readonly id: string;
  readonly tenant: string;
  readonly staff: { readonly email: string; readonly name: string };
  readonly reason: string;
  readonly minutes: number;
  /** `expired`: active or pending until its time ran out. */
  readonly status: GrantStatus | 'expired';
  readonly createdAt: Date;
  /** Pending: when the request lapses; active: when the access ends. */
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly endedBy: string | null;
  readonly endedAt: Date | null;
}

/** A live support session inside a workspace. */
export interface SupportHolder {
  readonly sessionId: string;
  readonly grantId: string;
  readonly staffId: string;
  readonly email: string;
  readonly reason: string;
  readonly expiresAt: Date;
}

export const defaultGrantMinutes = 60;
export const maximumGrantMinutes = 8 * 60;
/** An undecided request lapses after a day. */
const pendingHours = 24;
/** An entry link is for the click that follows making it. */
const entryLinkSeconds = 120;

type GrantRow = Selectable<SupportGrantsTable> & { staff_email: string; staff_name: string };

export class SupportService {
  private readonly db: StaffDatabase;

  constructor(private readonly deps: SupportServiceDeps) {
    this.db = deps.db.withTables<StaffTables>();
  }

  private present(row: GrantRow): GrantView {
    const live = row.status === 'active' || row.status === 'pending';
    return {
      id: row.id,
      tenant: row.tenant_slug,
      staff: { email: row.staff_email, name: row.staff_name },
      reason: row.reason,
      minutes: row.minutes,
      status: live && row.expires_at <= this.deps.clock.now() ? 'expired' : row.status,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      endedBy: row.ended_by,
      endedAt: row.ended_at,
    };
  }

  private grantRows(db: StaffDatabase = this.db) {
    return db
      .selectFrom('support_grants as g')
      .innerJoin('staff', 'staff.id', 'g.staff_id')
      .selectAll('g')
      .select(['staff.email as staff_email', 'staff.name as staff_name']);
  }

  /** Grants newest first: one workspace's (its admins' view), or every workspace's (the console's). */
  async list(filter: { tenant?: string } = {}): Promise<GrantView[]> {
    let query = this.grantRows().orderBy('g.created_at', 'desc').limit(200);
    if (filter.tenant !== undefined) query = query.where('g.tenant_slug', '=', filter.tenant);
    return (await query.execute()).map((row) => this.present(row));
  }

  /**
   * Asks to enter a workspace: active at once, or pending its admins' approval when the
   * workspace requires it (they are mailed). Written to both audit logs.
   */
  async request(
    by: StaffRef,
    input: { tenant: string; reason: string; minutes?: number | undefined },
    client: Client,
  ): Promise<GrantView> {
    const workspace = await this.deps.workspace(input.tenant);
    const minutes = input.minutes ?? defaultGrantMinutes;
    const { supportApproval } = await this.deps.identity.securitySettings(workspace.slug);
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + (supportApproval ? pendingHours * 60 : minutes) * 60_000);
    const status: GrantStatus = supportApproval ? 'pending' : 'active';
    const id = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('support_grants')
        .values({
          tenant_slug: workspace.slug,
          staff_id: by.staffId,
          reason: input.reason,
          minutes,
          status,
          created_at: now,
          expires_at: expiresAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await this.deps.staff.audit(
        {
          actor: `staff:${by.name}`,
          action: supportApproval ? 'support.grant_requested' : 'support.grant_opened',
          tenant: workspace.slug,
          detail: { grantId: row.id, reason: input.reason, minutes, ip: client.ip },
        },
        tx,
      );
      return row.id;
    });
    await this.deps.identity.recordAudit(workspace.slug, {
      actor: `staff:${by.name}`,
      action: supportApproval ? 'support.access_requested' : 'support.access_granted',
      target: id,
      ip: client.ip,
      detail: { reason: input.reason, minutes },
    });
    if (supportApproval) await this.mailApprovers(workspace, by, input.reason, minutes);
    return this.grant(id);
  }

  private async mailApprovers(workspace: TenantView, by: StaffRef, reason: string, minutes: number): Promise<void> {
    const approvers = (await this.deps.identity.members(workspace.slug)).filter(
      (member) => member.role === 'owner' || member.role === 'admin',
    );
    for (const approver of approvers)
      await this.deps.mail.send({
        kind: 'identity.support_request',
        tenant: workspace.slug,
        to: approver.email,
        subject: `Steadfast support asks to enter ${workspace.name}`,
        text: [
          `${by.name} of Steadfast support asks to enter ${workspace.name} for ${minutes} minutes, to:`,
          `  ${reason}`,
          '',
          `Approve or deny it in the workspace settings (the request lapses in ${pendingHours} hours):`,
          `${workspace.url}/admin#support`,
          '',
          'Support sees what an admin sees and changes nothing; every page it opens is in your audit log.',
        ].join('\n'),
      });
  }

  private async grant(id: string, db: StaffDatabase = this.db): Promise<GrantView> {
    const row = await this.grantRows(db).where('g.id', '=', id).executeTakeFirst();
    if (!row) throw noGrant();
    return this.present(row);
  }

  /** A workspace's owner or admin approves or denies a pending grant; an approved one runs from now. */
  async decide(tenant: string, by: { name: string }, id: string, approve: boolean, client: Client): Promise<GrantView> {
    const now = this.deps.clock.now();
    const grant = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('support_grants')
        .selectAll()
        .where('id', '=', id)
        .where('tenant_slug', '=', tenant)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw noGrant();
      if (row.status !== 'pending' || row.expires_at <= now)
        throw appError(
          'TENANT_STATE_CONFLICT',
          `This request is no longer waiting for a decision (it is ${this.present({ ...row, staff_email: '', staff_name: '' }).status}).`,
        );
      await tx
        .updateTable('support_grants')
        .set({
          status: approve ? 'active' : 'denied',
          decided_by: `user:${by.name}`,
          decided_at: now,
          ...(approve ? { expires_at: new Date(now.getTime() + row.minutes * 60_000) } : {}),
        })
        .where('id', '=', id)
        .execute();
      await this.deps.staff.audit(
        {
          actor: `user:${by.name}`,
          action: approve ? 'support.grant_approved' : 'support.grant_denied',
          tenant,
          detail: { grantId: id, ip: client.ip },
        },
        tx,
      );
      return this.grant(id, tx);
    });
    await this.deps.identity.recordAudit(tenant, {
      actor: `user:${by.name}`,
      action: approve ? 'support.access_approved' : 'support.access_denied',
      target: id,
      ip: client.ip,
      detail: { staff: grant.staff.email, minutes: grant.minutes },
    });
    return grant;
  }

  /**
   * Ends a grant early, and every session under it: by the staff member who holds it (`staffId`)
   * or by the workspace's admins (`tenant`). An ended or expired grant is left as it is.
   */
  async end(
    id: string,
    by: { actor: string; tenant?: string | undefined; staffId?: string | undefined },
    client: Client,
  ): Promise<GrantView> {
    const now = this.deps.clock.now();
    const grant = await this.db.transaction().execute(async (tx) => {
      let query = tx.selectFrom('support_grants').selectAll().where('id', '=', id);
      if (by.tenant !== undefined) query = query.where('tenant_slug', '=', by.tenant);
      if (by.staffId !== undefined) query = query.where('staff_id', '=', by.staffId);
      const row = await query.forUpdate().executeTakeFirst();
      if (!row) throw noGrant();
      const live = (row.status === 'active' || row.status === 'pending') && row.expires_at > now;
      if (live) {
        await tx
          .updateTable('support_grants')
          .set({ status: 'ended', ended_by: by.actor, ended_at: now })
          .where('id', '=', id)
          .execute();
        await tx
          .updateTable('support_sessions')
          .set({ ended_at: now })
          .where('grant_id', '=', id)
          .where('ended_at', 'is', null)
          .execute();
        await this.deps.staff.audit(
          {
            actor: by.actor,
            action: 'support.grant_ended',
            tenant: row.tenant_slug,
            detail: { grantId: id, ip: client.ip },
          },
          tx,
        );
      }
      return { row, live, view: await this.grant(id, tx) };
    });
    if (grant.live)
      await this.deps.identity.recordAudit(grant.row.tenant_slug, {
        actor: by.actor,
        action: 'support.access_ended',
        target: id,
        ip: client.ip,
      });
    return grant.view;
  }

  /** A one-time link (two minutes) that opens a support session on the workspace's host: only for the grant's own staff member, while it runs. */
  async entryLink(by: StaffRef, id: string, client: Client): Promise<{ url: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    const row = await this.db
      .selectFrom('support_grants')
      .selectAll()
      .where('id', '=', id)
      .where('staff_id', '=', by.staffId)
      .executeTakeFirst();
    if (!row) throw noGrant();
    if (row.status !== 'active' || row.expires_at <= now)
      throw appError(
        'FORBIDDEN',
        row.status === 'pending' && row.expires_at > now
          ? "This grant waits for the workspace's approval: its owners and admins were mailed."
          : 'This grant has ended. Ask for a new one with a reason.',
      );
    const workspace = await this.deps.workspace(row.tenant_slug);
    const token = newSecret();
    const expiresAt = new Date(now.getTime() + entryLinkSeconds * 1000);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('support_sessions')
        .values({ grant_id: id, entry_hash: secretHash(token), entry_expires_at: expiresAt, created_at: now })
        .execute();
      await this.deps.staff.audit(
        {
          actor: `staff:${by.name}`,
          action: 'support.entry_link',
          tenant: row.tenant_slug,
          detail: { grantId: id, ip: client.ip },
        },
        tx,
      );
    });
    return { url: `${workspace.url}/support#token=${token}`, expiresAt };
  }

  /** Exchanges an entry link's token, on the grant's own workspace host, for a support session. */
  async enter(tenant: string, token: string, client: Client): Promise<{ token: string; holder: SupportHolder }> {
    const now = this.deps.clock.now();
    const session = newSecret();
    const holder = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('support_sessions as s')
        .innerJoin('support_grants as g', 'g.id', 's.grant_id')
        .innerJoin('staff', 'staff.id', 'g.staff_id')
        .select(['s.id', 's.entry_expires_at', 'g.id as grantId', 'g.reason', 'g.expires_at', 'g.status'])
        .select(['g.tenant_slug', 'staff.id as staffId', 'staff.email', 'staff.disabled_at'])
        .where('s.entry_hash', '=', secretHash(token))
        .forUpdate()
        .executeTakeFirst();
      if (
        !row ||
        row.tenant_slug !== tenant ||
        row.entry_expires_at <= now ||
        row.status !== 'active' ||
        row.expires_at <= now ||
        row.disabled_at
      )
        throw appError(
          'RESET_INVALID',
          'This support link has expired, was used already, or its grant has ended. Make a new one in the console.',
        );
      await tx
        .updateTable('support_sessions')
        .set({ entry_hash: null, token_hash: secretHash(session), ip: client.ip ?? null, created_at: now })
        .where('id', '=', row.id)
        .execute();
      return {
        sessionId: row.id,
        grantId: row.grantId,
        staffId: row.staffId,
        email: row.email,
        reason: row.reason,
        expiresAt: row.expires_at,
      };
    });
    await this.deps.identity.recordAudit(tenant, {
      actor: `staff:${holder.email}`,
      action: 'support.entered',
      target: holder.grantId,
      ip: client.ip,
      detail: { reason: holder.reason, until: holder.expiresAt.toISOString() },
    });
    return { token: session, holder };
  }

  /** Whose live support session a cookie's token is in this workspace, or undefined (ended, expired, revoked, another workspace's). */
  async holder(tenant: string, token: string): Promise<SupportHolder | undefined> {
    const now = this.deps.clock.now();
    const row = await this.db
      .selectFrom('support_sessions as s')
      .innerJoin('support_grants as g', 'g.id', 's.grant_id')
      .innerJoin('staff', 'staff.id', 'g.staff_id')
      .select([
        's.id as sessionId',
        'g.id as grantId',
        'g.reason',
        'g.expires_at',
        'staff.id as staffId',
        'staff.email',
      ])
      .where('s.token_hash', '=', secretHash(token))
      .where('s.ended_at', 'is', null)
      .where('g.tenant_slug', '=', tenant)
      .where('g.status', '=', 'active')
      .where('g.expires_at', '>', now)
      .where('staff.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      sessionId: row.sessionId,
      grantId: row.grantId,
      staffId: row.staffId,
      email: row.email,
      reason: row.reason,
      expiresAt: row.expires_at,
    };
  }

  /** Writes one request support made inside the workspace to its audit log, whatever it answered. */
  recordRequest(
    tenant: string,
    by: { name: string; grantId: string },
    what: { method: string; path: string; status: number; ip: string },
  ): Promise<void> {
    return this.deps.identity.recordAudit(tenant, {
      actor: `staff:${by.name}`,
      action: 'support.request',
      target: `${what.method} ${what.path}`,
      ip: what.ip,
      detail: { grantId: by.grantId, status: what.status },
    });
  }

  /** Leaves the workspace (the grant goes on until it ends; a new entry link brings support back). */
  async leave(tenant: string, holder: SupportHolder, client: Client): Promise<void> {
    await this.db
      .updateTable('support_sessions')
      .set({ ended_at: this.deps.clock.now() })
      .where('id', '=', holder.sessionId)
      .execute();
    await this.deps.identity.recordAudit(tenant, {
      actor: `staff:${holder.email}`,
      action: 'support.left',
      target: holder.grantId,
      ip: client.ip,
    });
  }
}

function noGrant() {
  return appError('NOT_FOUND', 'There is no such support grant here.');
}
