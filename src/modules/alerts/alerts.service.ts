import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import { sealField } from '../../platform/crypto/fields.js';
import { appendPlatformAudit } from '../../platform/db/platform-audit.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import { JobQueue, type JobDefinition } from '../../platform/jobs/queue.js';
import type { Logger } from '../../platform/log/log.js';
import type { Mail } from '../../platform/mail/mail.js';
import { alertMail, webhookJob, webhookSecretPurpose, type AlertPayload } from './alerts.notify.js';
import { evaluate, type Observed, type Rule } from './alerts.rules.js';
import type { AlertTables, AlertsDb } from './alerts.tables.js';
import { newTrack, step, type Notice, type Track } from './alerts.track.js';

export interface AlertsServiceDeps {
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly mail: Pick<Mail, 'send'>;
  readonly secretKey: string;
  /** What alerts call this platform (its base domain). */
  readonly platform: string;
  /** Where staff look at components and alerts. */
  readonly consoleUrl: string;
  /** Called when an alert fires or recovers (the status module drafts an incident for a component that went down). */
  readonly onNotice?: ((notice: SentNotice) => Promise<void>) | undefined;
}

export interface Channel {
  readonly id: string;
  readonly name: string;
  readonly kind: 'email' | 'webhook';
  readonly target: string;
  readonly enabled: boolean;
}

export interface SentNotice {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly subject: string;
  readonly kind: Notice;
  readonly message: string;
  readonly at: Date;
}

/**
 * Alerting: after every probe round each rule judges each component, each rule's track of each
 * subject moves on (alerts.track.ts), and each firing, recovery or flapping notice goes to every
 * enabled channel: email through the outbox (never dropped), webhooks signed and retried.
 */
export class AlertsService {
  readonly webhookJob: JobDefinition;
  private readonly db: AlertsDb;

  constructor(private readonly deps: AlertsServiceDeps) {
    this.db = deps.db.withTables<AlertTables>();
    this.webhookJob = webhookJob(this.db, deps.secretKey, () => deps.clock.now());
  }

  rules(): Promise<Rule[]> {
    return this.db.selectFrom('alert_rules').selectAll().orderBy('position').execute();
  }

  async changeRule(
    id: string,
    change: { enabled?: boolean | undefined; threshold?: number | undefined; forChecks?: number | undefined },
    author: string,
  ): Promise<Rule> {
    const rule = (await this.rules()).find((r) => r.id === id);
    if (!rule) throw appError('NOT_FOUND', `There is no alert rule ${id}.`);
    if (change.threshold !== undefined && rule.kind === 'state')
      throw appError('VALIDATION_FAILED', `${rule.name} has no threshold: it fires when a component is down.`);
    const set = {
      ...(change.enabled === undefined ? {} : { enabled: change.enabled }),
      ...(change.threshold === undefined ? {} : { threshold: change.threshold }),
      ...(change.forChecks === undefined ? {} : { for_checks: change.forChecks }),
    };
    if (Object.keys(set).length > 0)
      await this.db.transaction().execute(async (tx) => {
        await tx.updateTable('alert_rules').set(set).where('id', '=', id).execute();
        await audit(tx, author, 'alerts.rule_changed', { rule: id, ...set });
      });
    return (await this.rules()).find((r) => r.id === id)!;
  }

  async channels(): Promise<Channel[]> {
    const rows = await this.db
      .selectFrom('alert_channels')
      .select(['id', 'name', 'kind', 'target', 'enabled'])
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({ ...row, id: String(row.id) }));
  }

  /** Adds a channel; a webhook's signing secret is made here and shown this once. */
  async addChannel(
    input: { name: string; kind: 'email' | 'webhook'; target: string },
    author: string,
  ): Promise<{ channel: Channel; secret?: string }> {
    const problem = channelProblem(input);
    if (problem) throw appError('VALIDATION_FAILED', problem);
    const secret = input.kind === 'webhook' ? `whsec_${randomBytes(24).toString('base64url')}` : undefined;
    const channel = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('alert_channels')
        .values({
          name: input.name,
          kind: input.kind,
          target: input.target,
          secret_sealed: secret ? sealField(this.deps.secretKey, webhookSecretPurpose, secret) : null,
        })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .returning(['id', 'name', 'kind', 'target', 'enabled'])
        .executeTakeFirst();
      if (!row) throw appError('ALREADY_EXISTS', `There is already a channel named ${input.name}.`);
      await audit(tx, author, 'alerts.channel_added', { channel: row.id, kind: input.kind, target: input.target });
      return { ...row, id: String(row.id) };
    });
    return { channel, ...(secret ? { secret } : {}) };
  }

  async removeChannel(id: string, author: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const removed = /^\d{1,15}$/.test(id)
        ? await tx.deleteFrom('alert_channels').where('id', '=', Number(id)).returning('name').executeTakeFirst()
        : undefined;
      if (!removed) throw appError('NOT_FOUND', `There is no alert channel ${id}.`);
      await audit(tx, author, 'alerts.channel_removed', { channel: id, name: removed.name });
    });
  }

  /** Sends a test notice to one channel, so its owner sees it arrive. */
  async test(id: string, author: string): Promise<void> {
    const channel = (await this.channels()).find((c) => c.id === id);
    if (!channel) throw appError('NOT_FOUND', `There is no alert channel ${id}.`);
    const at = this.deps.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const payload: AlertPayload = {
        id: `test-${randomBytes(6).toString('hex')}`,
        type: 'alert.firing',
        rule: { id: 'test', name: 'A test alert' },
        subject: 'test',
        message: `A test from ${author}: this channel receives Steadfast's alerts.`,
        value: null,
        at: at.toISOString(),
        platform: this.deps.platform,
      };
      await this.deliver(tx, [channel], payload);
      await audit(tx, author, 'alerts.channel_tested', { channel: id });
    });
  }

  /** Judges one probe round: moves every track on and sends what that calls for. */
  async evaluateRound(components: readonly Observed[]): Promise<SentNotice[]> {
    const now = this.deps.clock.now();
    const rules = await this.rules();
    const signals = evaluate(rules, components);
    if (signals.length === 0) return [];
    const sent = await this.db.transaction().execute(async (tx) => {
      // One evaluation at a time, whichever process leads (a handover mid-round included).
      await sql`SELECT pg_advisory_xact_lock(${alertsLockKey})`.execute(tx);
      const tracks = await tx.selectFrom('alert_tracks').selectAll().execute();
      const trackOf = new Map(tracks.map((row) => [`${row.rule_id}\0${row.subject}`, row]));
      const channels = (await this.channels()).filter((channel) => channel.enabled);
      const notices: SentNotice[] = [];
      for (const signal of signals) {
        const rule = rules.find((r) => r.id === signal.ruleId)!;
        const row = trackOf.get(`${signal.ruleId}\0${signal.subject}`);
        const before: Track = row
          ? {
              firing: row.firing,
              bad: row.bad,
              good: row.good,
              changes: row.changes,
              flapping: row.flapping,
              since: row.since,
            }
          : newTrack(now);
        const { track, notice } = step(before, signal.bad, rule.for_checks, now);
        const message = notice ? signal.message : (row?.message ?? signal.message);
        await tx
          .insertInto('alert_tracks')
          .values({
            rule_id: signal.ruleId,
            subject: signal.subject,
            ...columnsOf(track),
            message,
            value: signal.value ?? null,
          })
          .onConflict((conflict) =>
            conflict
              .columns(['rule_id', 'subject'])
              .doUpdateSet({ ...columnsOf(track), message, value: signal.value ?? null }),
          )
          .execute();
        if (!notice) continue;
        const stored = await tx
          .insertInto('alert_notices')
          .values({ rule_id: signal.ruleId, subject: signal.subject, kind: notice, message: signal.message, at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        const payload: AlertPayload = {
          id: String(stored.id),
          type: `alert.${notice}`,
          rule: { id: rule.id, name: rule.name },
          subject: signal.subject,
          message: signal.message,
          value: signal.value ?? null,
          at: now.toISOString(),
          platform: this.deps.platform,
        };
        await this.deliver(tx, channels, payload);
        notices.push({
          id: String(stored.id),
          ruleId: rule.id,
          ruleName: rule.name,
          subject: signal.subject,
          kind: notice,
          message: signal.message,
          at: now,
        });
      }
      return notices;
    });
    for (const notice of sent) {
      this.deps.log.warn({ rule: notice.ruleId, subject: notice.subject, notice: notice.kind }, notice.message);
      await this.deps
        .onNotice?.(notice)
        .catch((error: unknown) =>
          this.deps.log.error({ err: error, rule: notice.ruleId }, 'acting on an alert failed'),
        );
    }
    return sent;
  }

  /** What fires now, and the notices of the last days, newest first. */
  async firing(): Promise<{ ruleId: string; subject: string; since: Date; message: string; flapping: boolean }[]> {
    const rows = await this.db
      .selectFrom('alert_tracks')
      .selectAll()
      .where('firing', '=', true)
      .orderBy('since', 'desc')
      .execute();
    return rows.map((row) => ({
      ruleId: row.rule_id,
      subject: row.subject,
      since: row.since,
      message: row.message,
      flapping: row.flapping,
    }));
  }

  async notices(
    limit = 200,
  ): Promise<{ id: string; rule_id: string; subject: string; kind: Notice; message: string; at: Date }[]> {
    const rows = await this.db
      .selectFrom('alert_notices')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ ...row, id: String(row.id) }));
  }

  /** A notice to each channel: an email kept in the outbox (delivered by its job), a webhook job; both in `tx`. */
  private async deliver(tx: AlertsDb, channels: readonly Channel[], payload: AlertPayload): Promise<void> {
    const queue = new JobQueue(tx as unknown as Kysely<PlatformTables>);
    for (const channel of channels) {
      if (channel.kind === 'webhook') {
        await queue.enqueue(this.webhookJob, { channelId: channel.id, body: JSON.stringify(payload) });
        continue;
      }
      const mail = alertMail(payload, this.deps.consoleUrl);
      // The outbox row commits with the notice: kept even if this process dies now.
      await this.deps.mail.send(
        { to: channel.target, subject: mail.subject, text: mail.text, kind: 'alerts.notice' },
        tx as unknown as Kysely<PlatformTables>,
      );
    }
  }
}

/** Why a channel cannot work, or undefined. */
function channelProblem(input: { name: string; kind: 'email' | 'webhook'; target: string }): string | undefined {
  if (!input.name.trim()) return 'A channel needs a name.';
  if (input.kind === 'email')
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.target) ? undefined : `${input.target} is not an email address.`;
  try {
    const url = new URL(input.target);
    return ['http:', 'https:'].includes(url.protocol)
      ? undefined
      : `A webhook is an http or https URL, not ${url.protocol}`;
  } catch {
    return `${input.target} is not a URL.`;
  }
}

/** Advisory lock key for "evaluating alerts" in the platform database. */
const alertsLockKey = 0x5f_414c_5254;

const columnsOf = (track: Track) => ({
  firing: track.firing,
  bad: track.bad,
  good: track.good,
  changes: [...track.changes],
  flapping: track.flapping,
  since: track.since,
});

function audit(db: AlertsDb, actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
  return appendPlatformAudit(db as unknown as Kysely<PlatformTables>, { actor, action, tenantSlug: null, detail });
}
