import type { Kysely, Selectable } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import type { MailOutboxTable, PlatformTables } from '../db/schema.js';
import { defineJob, JobQueue, type JobDefinition } from '../jobs/queue.js';

/** A message to one person. Plain text: links in it are the only thing a reader needs. */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** What it is for (`identity.invitation`, `identity.reset` …), shown in the outbox. */
  readonly kind: string;
  /** The workspace it concerns, if any. */
  readonly tenant?:
    | string
    | undefined; /** Extra headers: List-Unsubscribe and List-Unsubscribe-Post for mail to subscribers (RFC 8058). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export type OutboxEntry = Selectable<MailOutboxTable>;

export interface MailSettings {
  readonly smtpUrl?: string | undefined;
  readonly mailFrom?: string | undefined;
  readonly baseDomain: string;
}

/** Attempts at delivering one message: the job's retries, 30 s doubling, about two hours in all. */
const deliveryAttempts = 8;

/**
 * Outgoing mail. Every message is first written to the outbox in the platform database, so none
 * is lost: with an SMTP server configured a job delivers it (retrying, and marking it failed with
 * the server's answer when it gives up); without one it stays `kept` for the operator to read
 * with `steadfast mail outbox`.
 */
export class Mail {
  readonly deliveryJob: JobDefinition;
  private readonly transport: Transporter | undefined;
  private readonly from: string;

  constructor(
    private readonly db: Kysely<PlatformTables>,
    private readonly clock: Clock,
    settings: MailSettings,
  ) {
    this.transport = settings.smtpUrl ? nodemailer.createTransport(settings.smtpUrl) : undefined;
    this.from = settings.mailFrom ?? `Steadfast <no-reply@${settings.baseDomain}>`;
    this.deliveryJob = this.defineDelivery();
  }

  /** True when messages go to an SMTP server; false when they stay in the outbox. */
  get delivers(): boolean {
    return this.transport !== undefined;
  }

  /**
   * Keeps the message and, with SMTP configured, queues its delivery: both or neither. Given the
   * transaction of a change (`within`), the message commits with it, or not at all.
   */
  async send(message: OutgoingMail, within?: Kysely<PlatformTables>): Promise<{ id: string }> {
    if (within) return this.keep(within, message);
    return this.db.transaction().execute((tx) => this.keep(tx, message));
  }

  private async keep(tx: Kysely<PlatformTables>, message: OutgoingMail): Promise<{ id: string }> {
    const row = await tx
      .insertInto('mail_outbox')
      .values({
        created_at: this.clock.now(),
        tenant_slug: message.tenant ?? null,
        kind: message.kind,
        recipient: message.to,
        subject: message.subject,
        body: message.text,
        status: this.transport ? 'queued' : 'kept',
        headers: message.headers ? { ...message.headers } : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (this.transport)
      await new JobQueue(tx).enqueue(this.deliveryJob, { id: row.id }, { dedupeKey: `mail:${row.id}` });
    return row;
  }

  /** The newest messages first, optionally only those to one address or about one workspace. */
  list(filter: { limit: number; to?: string | undefined; tenant?: string | undefined }): Promise<OutboxEntry[]> {
    let query = this.db.selectFrom('mail_outbox').selectAll().orderBy('seq', 'desc').limit(filter.limit);
    if (filter.to) query = query.where('recipient', '=', filter.to.trim().toLowerCase());
    if (filter.tenant) query = query.where('tenant_slug', '=', filter.tenant);
    return query.execute();
  }

  /** Connects to the SMTP server and signs in, without sending (the email probe). */
  async verify(): Promise<void> {
    await this.transport?.verify();
  }

  /** Messages waiting for delivery, and since when the oldest has waited. */
  async backlog(): Promise<{ queued: number; oldestQueuedAt: Date | undefined }> {
    const row = await this.db
      .selectFrom('mail_outbox')
      .select((eb) => [eb.fn.countAll<string>().as('queued'), eb.fn.min('created_at').as('oldest')])
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    return { queued: Number(row.queued), oldestQueuedAt: row.oldest ? new Date(row.oldest) : undefined };
  }

  /** Closes the SMTP connections, if any. */
  close(): void {
    this.transport?.close();
  }

  private defineDelivery(): JobDefinition {
    return defineJob({
      type: 'mail.deliver',
      schema: z.object({ id: z.uuid() }),
      timeoutSeconds: 120,
      maxAttempts: deliveryAttempts,
      backoffSeconds: 30,
      handle: async ({ id }, context) => {
        const message = await this.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
        if (!message || message.status === 'sent' || message.body === null) return { skipped: true };
        if (!this.transport)
          throw new Error('No SMTP server is configured (smtpUrl) in this process; the message stays in the outbox.');
        try {
          const info = (await this.transport.sendMail({
            from: this.from,
            to: message.recipient,
            subject: message.subject,
            text: message.body,
            ...(message.headers ? { headers: message.headers } : {}),
          })) as { messageId?: string };
          await this.db
            .updateTable('mail_outbox')
            .set({ status: 'sent', sent_at: this.clock.now(), body: null, attempts: context.attempt, last_error: null })
            .where('id', '=', id)
            .execute();
          return { messageId: info.messageId };
        } catch (error) {
          const last = context.attempt >= deliveryAttempts;
          await this.db
            .updateTable('mail_outbox')
            .set({
              status: last ? 'failed' : 'queued',
              attempts: context.attempt,
              last_error: error instanceof Error ? error.message : String(error),
            })
            .where('id', '=', id)
            .execute();
          throw error;
        }
      },
    });
  }
}
