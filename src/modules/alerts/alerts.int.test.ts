import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { startSmtp } from '../../../test/helpers/smtp.js';
import { manualClock } from '../../platform/clock/clock.js';
import { startWorker, type Worker } from '../../platform/jobs/worker.js';
import type { ObservedComponent } from '../status/index.js';
import { verifySignature, type AlertPayload } from './alerts.notify.js';

const clock = manualClock(new Date('2027-02-01T08:00:00Z'));
let platform: TestPlatform;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let worker: Worker;
let receiver: http.Server;
let receiverUrl: string;
/** What the webhook receiver got, and whether each signature held. */
const deliveries: { payload: AlertPayload; signed: boolean }[] = [];
let secret = '';
/** Answers the receiver gives next (then 204). */
const answers: number[] = [];

const web = (state: ObservedComponent['state'], maintenance = false): ObservedComponent => ({
  id: 'web',
  name: 'Web app',
  state,
  maintenance,
  figures: {},
  messages: [state === 'operational' ? 'HTTP 200 in 4 ms' : 'connect ECONNREFUSED 127.0.0.1:8080'],
});
const disk = (ratio: number): ObservedComponent => ({
  id: 'disk',
  name: 'Disk',
  state: 'operational',
  maintenance: false,
  figures: { disk_used_ratio: ratio },
  messages: [],
});

/** One probe round 30 s after the last, judged. */
async function round(...components: ObservedComponent[]) {
  clock.advance(30_000);
  return platform.alerts.evaluateRound(components);
}

async function until<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  smtp = await startSmtp();
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const signed = verifySignature(
        secret,
        body,
        {
          timestamp: request.headers['steadfast-timestamp'] as string,
          signature: request.headers['steadfast-signature'] as string,
        },
        clock.now(),
      );
      deliveries.push({ payload: JSON.parse(body) as AlertPayload, signed });
      response.writeHead(answers.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/steadfast`;
  platform = await createTestPlatform({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, jobPollIntervalMs: 50 }, { clock });
  worker = startWorker(platform, { jobs: [platform.alerts.webhookJob] });
});
after(async () => {
  await worker.stop();
  await platform.destroy();
  await smtp.close();
  receiver.close();
});

test('a component down for two checks is mailed and posted once, signed; its recovery likewise; a draft incident waits for staff', async () => {
  await platform.alerts.addChannel({ name: 'on-call', kind: 'email', target: 'oncall@example.com' }, 'staff:ops@x');
  const hook = await platform.alerts.addChannel({ name: 'pager', kind: 'webhook', target: receiverUrl }, 'staff:ops@x');
  secret = hook.secret!;
  assert.match(secret, /^whsec_/);
  assert.ok(
    !JSON.stringify(await platform.alerts.channels()).includes(secret),
    'the secret is shown once, never listed',
  );

  assert.deepEqual(await round(web('operational')), []);
  assert.deepEqual(await round(web('major_outage')), [], 'one bad check is not an alert');
  const fired = await round(web('major_outage'));
  assert.deepEqual(
    fired.map((n) => `${n.ruleId} ${n.subject} ${n.kind}`),
    ['component_down web firing'],
  );
  assert.deepEqual(await round(web('major_outage')), [], 'still down: nothing more is sent');

  const mail = await until('the alert email', () => smtp.received.find((m) => m.data.includes('FIRING')));
  assert.deepEqual(mail.to, ['oncall@example.com']);
  assert.match(mail.data, /Web app is down \(major outage\): connect ECONNREFUSED/);
  const posted = await until('the webhook', () => deliveries.find((d) => d.payload.type === 'alert.firing'));
  assert.equal(posted.signed, true, 'the HMAC signature checks out with the secret');
  assert.equal(posted.payload.subject, 'web');
  assert.equal(
    verifySignature('whsec_wrong', JSON.stringify(posted.payload), { timestamp: '1', signature: 'v1=00' }, clock.now()),
    false,
  );

  const drafts = (await platform.status.incidents.list({ drafts: true })).filter((i) => i.draft);
  assert.equal(drafts.length, 1, 'a draft incident, not published');
  assert.deepEqual(drafts[0]!.components, { web: 'major_outage' });
  assert.equal((await platform.status.incidents.list()).length, 0, 'the status page does not show a draft');

  assert.deepEqual(await round(web('operational')), []);
  const recovered = await round(web('operational'));
  assert.deepEqual(
    recovered.map((n) => n.kind),
    ['recovered'],
  );
  await until('the recovery email', () => smtp.received.find((m) => m.data.includes('RECOVERED')));
  const draft = await platform.status.incidents.get(drafts[0]!.id);
  assert.equal(draft.state, 'monitoring', 'the draft says the alert recovered');

  const alerts = (await platform.staff.auditEntries()).map((e) => `${e.actor} ${e.action}`);
  assert.ok(alerts.includes('system:alerts status.incident_drafted'));
});

test('a webhook that fails is retried with back-off, the same delivery id each time', async () => {
  answers.push(500);
  const before = deliveries.length;
  const fired = await round(web('operational'), disk(0.91));
  assert.deepEqual(
    fired.map((n) => `${n.ruleId} ${n.kind}`),
    ['disk_usage firing'],
    'a figure rule of one check fires at once',
  );
  await until('the first attempt', () => deliveries.length > before);
  const waiting = () =>
    platform.db
      .selectFrom('jobs')
      .select(['id', 'attempts'])
      .where('type', '=', 'alerts.webhook')
      .where('status', '=', 'queued')
      .where('attempts', '=', 1)
      .executeTakeFirst();
  let queued = await waiting();
  for (let i = 0; !queued && i < 100; i++) {
    await sleep(50);
    queued = await waiting();
  }
  assert.ok(queued, 'the failed delivery waits for its retry');
  assert.equal(queued.attempts, 1);
  // Bring the retry forward instead of waiting out the back-off.
  await sql`UPDATE jobs SET run_at = now() WHERE id = ${queued.id}`.execute(platform.db);
  await until('the retry', () => deliveries.length > before + 1);
  const [first, second] = deliveries.slice(before);
  assert.equal(first!.payload.id, second!.payload.id);
  assert.equal(second!.signed, true);
});

test('under announced maintenance a component that is down does not page', async () => {
  assert.deepEqual(await round(web('major_outage', true), disk(0.91)), []);
  assert.deepEqual(await round(web('major_outage', true), disk(0.91)), []);
});
