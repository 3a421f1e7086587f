import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { arrival, readable, startSmtp } from '../../../test/helpers/smtp.js';
import { buildTestApp } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import { startWorker, type Worker } from '../../platform/jobs/worker.js';

/**
 * Email subscriptions to the status page, through the platform's status host and a real SMTP
 * server: the form, the confirmation mail and its link, notices of published incidents and
 * platform-wide maintenance (never of drafts or one workspace's windows), one-click unsubscribe
 * (RFC 8058), and bad links and addresses answered as pages that say what was wrong.
 */

const clock = manualClock(new Date('2027-04-01T09:00:00Z'));
const statusHost = 'status.localhost:8080';
const author = 'staff:ops@steadfast.example';
let platform: TestPlatform;
let app: FastifyInstance;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let worker: Worker;

before(async () => {
  smtp = await startSmtp();
  platform = await createTestPlatform({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, jobPollIntervalMs: 50 }, { clock });
  worker = startWorker(platform);
  app = await buildTestApp(platform);
});
after(async () => {
  await worker.stop();
  await app.close();
  await platform.destroy();
  await smtp.close();
});

const form = (url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> =>
  app.inject({
    method: 'POST',
    url,
    headers: { host: statusHost, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
const mailTo = (address: string, subject: RegExp) => (message: { to: string[]; data: string }) =>
  message.to.includes(address) && subject.test(readable(message as never));
const linkIn = (text: string, path: string): string =>
  new RegExp(`(http://status\\.localhost:8080${path}\\?token=[\\w.-]+)`).exec(text)![1]!;

test('subscribe, confirm, get notices of what the page publishes, and unsubscribe with one click', async () => {
  const page = await app.inject({ method: 'GET', url: '/', headers: { host: statusHost } });
  assert.match(page.body, /<form class="subscribe" method="post" action="http:\/\/status\.localhost:8080\/subscribe">/);

  const asked = await form('/subscribe', { email: 'Reader@Example.com ' });
  assert.equal(asked.statusCode, 200, asked.body);
  assert.match(asked.body, /Check your inbox/);
  const confirmation = readable(
    await arrival(smtp.received, 'the confirmation', mailTo('reader@example.com', /Confirm your subscription/)),
  );
  assert.equal((await form('/subscribe', { email: 'reader@example.com' })).statusCode, 200);
  const link = linkIn(confirmation, '/subscribe/confirm');

  // The link opens a page with one button; opening it (as a mail scanner would) confirms nothing.
  const opened = await app.inject({
    method: 'GET',
    url: link.replace('http://status.localhost:8080', ''),
    headers: { host: statusHost },
  });
  assert.match(opened.body, /<button type="submit">Confirm subscription<\/button>/);
  assert.equal(await platform.status.subscribers.count(), 0);
  const token = new URL(link).searchParams.get('token')!;
  const forged = await form('/subscribe/confirm', { token: `${token.split('.')[0]}.${'A'.repeat(43)}` });
  assert.equal(forged.statusCode, 400);
  assert.match(forged.body, /This confirmation link is not valid/);
  const confirmed = await form('/subscribe/confirm', { token });
  assert.equal(confirmed.statusCode, 200, confirmed.body);
  assert.match(confirmed.body, /reader@example\.com will get an email/);
  assert.equal(await platform.status.subscribers.count(), 1);
  assert.equal(
    smtp.received.filter((m) => m.to.includes('reader@example.com')).length,
    1,
    'asking again while one waits sends no second confirmation',
  );

  // A draft and one workspace's window are not the page's: no notice. A published incident and a window for everyone are.
  await platform.status.incidents.open(
    { title: 'Drafted by an alert', message: 'Down for 2 checks', components: { web: 'major_outage' }, draft: true },
    'alerts',
  );
  await platform.status.maintenance.schedule(
    {
      title: 'Acme only',
      components: ['database'],
      tenants: ['acme'],
      startsAt: new Date('2027-04-05T01:00:00Z'),
      endsAt: new Date('2027-04-05T02:00:00Z'),
    },
    author,
  );
  const incident = await platform.status.incidents.open(
    { title: 'Slow sign-in', message: 'Sign-in takes 10 s for some people.', components: { web: 'degraded' } },
    author,
  );
  await platform.status.maintenance.schedule(
    {
      title: 'Database upgrade',
      components: ['database'],
      startsAt: new Date('2027-04-05T01:00:00Z'),
      endsAt: new Date('2027-04-05T02:00:00Z'),
    },
    author,
  );
  assert.equal(await platform.status.subscribers.sendPending(), 2);
  const notice = await arrival(
    smtp.received,
    'the incident notice',
    mailTo('reader@example.com', /Investigating: Slow sign-in/),
  );
  const text = readable(notice);
  assert.match(text, /Sign-in takes 10 s for some people\./);
  const unsubscribe = linkIn(text, '/unsubscribe');
  assert.match(text, new RegExp(`List-Unsubscribe: <${unsubscribe.replace(/[.?]/g, '\\$&')}>`));
  assert.match(text, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
  await arrival(
    smtp.received,
    'the maintenance notice',
    mailTo('reader@example.com', /Scheduled maintenance: Database upgrade/),
  );
  assert.ok(!smtp.received.some((m) => /Acme only|Drafted by an alert/.test(readable(m))));

  // One click: the mail client posts to the header's address.
  const gone = await app.inject({
    method: 'POST',
    url: unsubscribe.replace('http://status.localhost:8080', ''),
    // As RFC 8058 has mail providers send it.
    headers: { host: statusHost, 'content-type': 'multipart/form-data; boundary=b' },
    payload: '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n',
  });
  assert.equal(gone.statusCode, 200, gone.body);
  assert.match(gone.body, /You are unsubscribed/);
  assert.equal(await platform.status.subscribers.count(), 0);
  await platform.status.incidents.update(incident.id, { state: 'resolved', message: 'Fixed.' }, author);
  assert.equal(await platform.status.subscribers.sendPending(), 1, 'the notice is done, to nobody');
  const received = smtp.received.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(smtp.received.length, received);
});

test('a bad address, an incomplete link and an expired one each say what was wrong', async () => {
  const bad = await form('/subscribe', { email: 'not an address' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /&quot;not an address&quot; is not an email address\./);
  const cut = await form('/unsubscribe', { token: '12.abc' });
  assert.equal(cut.statusCode, 400);
  assert.match(cut.body, /copy the whole link from the email/);

  await form('/subscribe', { email: 'late@example.com' });
  const confirmation = readable(
    await arrival(smtp.received, 'the confirmation', mailTo('late@example.com', /Confirm/)),
  );
  clock.advance(49 * 3_600_000);
  const late = await form('/subscribe/confirm', {
    token: new URL(linkIn(confirmation, '/subscribe/confirm')).searchParams.get('token')!,
  });
  assert.equal(late.statusCode, 400);
  assert.match(late.body, /has expired \(they work for 48 hours\)/);
});
