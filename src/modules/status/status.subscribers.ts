import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import type { Mail } from '../../platform/mail/mail.js';
import { platformView, type StatusDb } from './status.tables.js';

/** A confirmation link works this long after it was sent. */
export const confirmValidMs = 48 * 3_600_000;
/** A confirmation is sent again to one address at most this often (whoever asks). */
const confirmResendMs = 10 * 60_000;
/** Notices sent per pass of the leader's loop. */
const noticesPerPass = 10;

const emailPattern = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/;

/** A notice for subscribers, written in the transaction of the change it tells of. */
export async function queueNotice(tx: StatusDb, notice: { subject: string; body: string; at: Date }): Promise<void> {
  await tx
    .insertInto('status_notices')
    .values({ subject: notice.subject, body: notice.body, created_at: notice.at })
    .execute();
}

export interface SubscribersDeps {
  readonly db: StatusDb;
  readonly clock: Clock;
  readonly mail?: Mail | undefined;
  /** Signs the links in the mail (confirm, unsubscribe): nothing about them is stored. */
  readonly secretKey: string;
  /** Where the platform serves the status page (`https://status.example.com`): the links point there. */
  readonly statusUrl: string;
  /** The page's title, the sender's name in subjects. */
  readonly title: () => string;
}

/**
 * Email subscriptions to the status page: double opt-in (a link in a confirmation mail), and
 * one-click unsubscribe (a link in every mail, and the List-Unsubscribe-Post header of RFC 8058).
 * The links carry the subscriber's id and an HMAC under the platform's secret key.
 */
export class StatusSubscribers {
  constructor(private readonly deps: SubscribersDeps) {}

  /**
   * Asks an address to confirm. The answer is the same whether the address was new, waiting or
   * already subscribed (no one learns who subscribes); a confirmation is not sent again within ten minutes.
   */
  async subscribe(email: string): Promise<void> {
    const address = email.trim().toLowerCase();
    if (address.length > 254 || !emailPattern.test(address))
      throw appError('VALIDATION_FAILED', `"${email.trim()}" is not an email address.`);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('status_subscribers')
        .selectAll()
        .where('email', '=', address)
        .forUpdate()
        .executeTakeFirst();
      if (existing && existing.confirmed_at && !existing.unsubscribed_at) return;
      if (existing && now.getTime() - existing.confirm_sent_at.getTime() < confirmResendMs) return;
      const row = existing
        ? await tx
            .updateTable('status_subscribers')
            .set({ confirm_sent_at: now, confirmed_at: null, unsubscribed_at: null })
            .where('id', '=', existing.id)
            .returning(['id', 'confirm_sent_at'])
            .executeTakeFirstOrThrow()
        : await tx
            .insertInto('status_subscribers')
            .values({ email: address, created_at: now, confirm_sent_at: now })
            // Asked twice at once: the other request sends the confirmation.
            .onConflict((conflict) => conflict.column('email').doNothing())
            .returning(['id', 'confirm_sent_at'])
            .executeTakeFirst();
      if (!row) return;
      const link = `${this.deps.statusUrl}/subscribe/confirm?token=${this.token('confirm', row.id, row.confirm_sent_at)}`;
      await this.deps.mail?.send(
        {
          to: address,
          kind: 'status.confirm',
          subject: `Confirm your subscription to ${this.deps.title()}`,
          text: `Someone, probably you, asked to get an email when ${this.deps.title()} reports an incident or announces maintenance.\n\nTo confirm, open this link within 48 hours:\n${link}\n\nIf it was not you, ignore this message: nothing will be sent to you.\n`,
        },
        platformView(tx),
      );
    });
  }

  /** Confirms the address a confirmation link was sent to. */
  async confirm(token: string): Promise<{ email: string }> {
    const id = this.idOf(token);
    const row = await this.deps.db.selectFrom('status_subscribers').selectAll().where('id', '=', id).executeTakeFirst();
    const now = this.deps.clock.now();
    if (!row || !this.valid(token, 'confirm', row.id, row.confirm_sent_at))
      throw appError(
        'SUBSCRIPTION_LINK_INVALID',
        'This confirmation link is not valid. Subscribe again to get a new one.',
      );
    if (now.getTime() - row.confirm_sent_at.getTime() > confirmValidMs)
      throw appError(
        'SUBSCRIPTION_LINK_INVALID',
        'This confirmation link has expired (they work for 48 hours). Subscribe again to get a new one.',
      );
    if (!row.confirmed_at)
      await this.deps.db
        .updateTable('status_subscribers')
        .set({ confirmed_at: now, unsubscribed_at: null })
        .where('id', '=', id)
        .execute();
    return { email: row.email };
  }

  /** Ends a subscription from the link (or header) in any mail it received. */
  async unsubscribe(token: string): Promise<{ email: string }> {
    const id = this.idOf(token);
    const row = await this.deps.db.selectFrom('status_subscribers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !this.valid(token, 'unsubscribe', row.id))
      throw appError('SUBSCRIPTION_LINK_INVALID', 'This unsubscribe link is not valid.');
    if (!row.unsubscribed_at)
      await this.deps.db
        .updateTable('status_subscribers')
        .set({ unsubscribed_at: this.deps.clock.now() })
        .where('id', '=', id)
        .execute();
    return { email: row.email };
  }

  /** Confirmed subscribers now. */
  async count(): Promise<number> {
    const row = await this.deps.db
      .selectFrom('status_subscribers')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('confirmed_at', 'is not', null)
      .where('unsubscribed_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Sends the notices waiting, oldest first: each, to every confirmed subscriber, through the
   * outbox in one transaction with marking it sent (a crash sends it again whole, never half).
   */
  async sendPending(): Promise<number> {
    const mail = this.deps.mail;
    if (!mail) return 0;
    let sent = 0;
    for (let i = 0; i < noticesPerPass; i++) {
      const done = await this.deps.db.transaction().execute(async (tx) => {
        const notice = await tx
          .selectFrom('status_notices')
          .selectAll()
          .where('sent_at', 'is', null)
          .orderBy('id')
          .limit(1)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (!notice) return false;
        const subscribers = await tx
          .selectFrom('status_subscribers')
          .select(['id', 'email'])
          .where('confirmed_at', 'is not', null)
          .where('unsubscribed_at', 'is', null)
          .execute();
        for (const subscriber of subscribers) {
          const unsubscribe = `${this.deps.statusUrl}/unsubscribe?token=${this.token('unsubscribe', subscriber.id)}`;
          await mail.send(
            {
              to: subscriber.email,
              kind: 'status.notice',
              subject: `[${this.deps.title()}] ${notice.subject}`,
              text: `${notice.body}\n\nStatus page: ${this.deps.statusUrl}/\n\nYou get this because you subscribed to ${this.deps.title()}. Unsubscribe with one click: ${unsubscribe}\n`,
              headers: {
                'List-Unsubscribe': `<${unsubscribe}>`,
                'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
              },
            },
            platformView(tx),
          );
        }
        await tx
          .updateTable('status_notices')
          .set({ sent_at: this.deps.clock.now(), recipients: subscribers.length })
          .where('id', '=', notice.id)
          .execute();
        return true;
      });
      if (!done) break;
      sent++;
    }
    return sent;
  }

  private token(purpose: 'confirm' | 'unsubscribe', id: number, sentAt?: Date): string {
    const mac = createHmac('sha256', this.deps.secretKey)
      .update(`status-subscriber:${purpose}:${id}:${sentAt?.getTime() ?? ''}`)
      .digest('base64url');
    return `${id}.${mac}`;
  }

  private valid(token: string, purpose: 'confirm' | 'unsubscribe', id: number, sentAt?: Date): boolean {
    const expected = Buffer.from(this.token(purpose, id, sentAt));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private idOf(token: string): number {
    const match = /^(\d{1,15})\.[A-Za-z0-9_-]{43}$/.exec(token);
    if (!match)
      throw appError('SUBSCRIPTION_LINK_INVALID', 'This link is not complete: copy the whole link from the email.');
    return Number(match[1]);
  }
}
