import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { openField } from '../../platform/crypto/fields.js';
import { defineJob, type JobDefinition } from '../../platform/jobs/queue.js';
import type { AlertsDb } from './alerts.tables.js';

/** The purpose a webhook's signing secret is sealed under. */
export const webhookSecretPurpose = 'alerts.webhook-secret';
/** A webhook that has not answered within this has failed (and is retried). */
export const webhookTimeoutMs = 10_000;
/** Receivers should refuse a signature older than this (a replayed delivery). */
export const signatureToleranceSeconds = 300;

/** What a webhook receives: JSON, signed. */
export interface AlertPayload {
  /** The notice's id: the same on every retry, for the receiver to drop duplicates. */
  readonly id: string;
  readonly type: 'alert.firing' | 'alert.recovered' | 'alert.flapping' | 'alert.settled';
  readonly rule: { readonly id: string; readonly name: string };
  readonly subject: string;
  readonly message: string;
  readonly value: number | null;
  readonly at: string;
  readonly platform: string;
}

/**
 * The signature headers of a webhook delivery, as Stripe and GitHub do it: HMAC-SHA256 with the
 * channel's secret over `<unix seconds>.<body>`, so a receiver can check both who sent it and
 * that it is fresh.
 */
export function signatureHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'steadfast-timestamp': timestamp, 'steadfast-signature': `v1=${signature}` };
}

/** Checks a delivery as a receiver would: the signature matches, and it is recent. */
export function verifySignature(
  secret: string,
  body: string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  now: Date,
): boolean {
  if (!headers.timestamp || !headers.signature) return false;
  const age = now.getTime() / 1000 - Number(headers.timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > signatureToleranceSeconds) return false;
  const expected = Buffer.from(
    signatureHeaders(secret, body, new Date(Number(headers.timestamp) * 1000))['steadfast-signature']!,
  );
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Delivers one notice to one webhook: POST, signed at each attempt, retried with back-off
 * (15 s doubling, 8 attempts: about an hour) until the receiver answers 2xx.
 */
export function webhookJob(db: AlertsDb, secretKey: string, now: () => Date): JobDefinition {
  return defineJob({
    type: 'alerts.webhook',
    schema: z.object({ channelId: z.string(), body: z.string() }),
    timeoutSeconds: 60,
    maxAttempts: 8,
    backoffSeconds: 15,
    handle: async ({ channelId, body }) => {
      const channel = await db
        .selectFrom('alert_channels')
        .selectAll()
        .where('id', '=', Number(channelId))
        .executeTakeFirst();
      if (!channel || !channel.enabled) return { skipped: 'the channel was removed or turned off' };
      const secret = openField(secretKey, webhookSecretPurpose, channel.secret_sealed!);
      const response = await fetch(channel.target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'steadfast-alerts',
          'steadfast-delivery': (JSON.parse(body) as AlertPayload).id,
          ...signatureHeaders(secret, body, now()),
        },
        body,
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`${channel.name} answered HTTP ${response.status}; retrying with back-off`);
      return { status: response.status };
    },
  });
}

const subjects: Record<AlertPayload['type'], string> = {
  'alert.firing': 'FIRING',
  'alert.recovered': 'RECOVERED',
  'alert.flapping': 'FLAPPING',
  'alert.settled': 'SETTLED',
};

/** An alert as an email: the state first in the subject, the details and where to look in the body. */
export function alertMail(payload: AlertPayload, consoleUrl: string): { subject: string; text: string } {
  const subject = `[Steadfast ${payload.platform}] ${subjects[payload.type]}: ${payload.rule.name} (${payload.subject})`;
  const what = {
    'alert.firing': 'This alert is firing.',
    'alert.recovered': 'This alert has recovered.',
    'alert.flapping':
      'This alert keeps firing and recovering. No more messages are sent about it until it holds one state for 30 minutes.',
    'alert.settled': 'This alert stopped flapping; the message below is where it settled.',
  }[payload.type];
  return {
    subject,
    text: `${what}\n\n${payload.message}\n\nRule: ${payload.rule.name}\nAt: ${payload.at}\n\nComponents, incidents and alerts: ${consoleUrl}\n`,
  };
}
