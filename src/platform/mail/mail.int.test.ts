import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { startSmtp } from '../../../test/helpers/smtp.js';
import { createLogger } from '../log/log.js';
import { JobRunner } from '../jobs/runner.js';

const message = (to: string) => ({
  kind: 'test.hello',
  tenant: 'acme',
  to,
  subject: 'Hello from the test',
  text: 'Your link: https://acme.example.test/reset-password#token=abc',
});

describe('without an SMTP server', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
  });
  after(() => platform.destroy());

  test('every message is kept in the outbox, whole, and nothing is queued to deliver it', async () => {
    assert.equal(platform.mail.delivers, false);
    await platform.mail.send(message('ada@example.com'));
    await platform.mail.send(message('bob@example.com'));
    const all = await platform.mail.list({ limit: 10 });
    assert.deepEqual(
      all.map((m) => [m.recipient, m.status]),
      [
        ['bob@example.com', 'kept'],
        ['ada@example.com', 'kept'],
      ],
    );
    assert.equal(all[0]!.body, message('bob@example.com').text);
    assert.deepEqual(
      (await platform.mail.list({ limit: 10, to: 'ADA@example.com' })).map((m) => m.recipient),
      ['ada@example.com'],
    );
    const jobs = await platform.db.selectFrom('jobs').select('type').where('type', '=', 'mail.deliver').execute();
    assert.equal(jobs.length, 0);
  });
});

describe('with an SMTP server', () => {
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let runner: JobRunner;
  before(async () => {
    smtp = await startSmtp();
    platform = await createTestPlatform({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      mailFrom: 'Steadfast <mail@steadfast.test>',
    });
    runner = new JobRunner(platform.jobs, createLogger('silent'), { concurrency: 1, pollIntervalMs: 50 });
    runner.register(platform.mail.deliveryJob);
  });
  after(async () => {
    await runner.stop(1000);
    await platform.destroy();
    await smtp.close();
  });

  test('a message is delivered by a job to the server, then marked sent and its text dropped from the outbox', async () => {
    const { id } = await platform.mail.send(message('ada@example.com'));
    assert.equal((await platform.mail.list({ limit: 1 }))[0]!.status, 'queued');
    await runner.poll();
    await runner.idle();
    assert.equal(smtp.received.length, 1);
    assert.equal(smtp.received[0]!.from, 'mail@steadfast.test');
    assert.deepEqual(smtp.received[0]!.to, ['ada@example.com']);
    assert.match(smtp.received[0]!.data, /Subject: Hello from the test/);
    assert.match(smtp.received[0]!.data, /reset-password#token=abc/);
    const [kept] = await platform.mail.list({ limit: 1 });
    assert.equal(kept!.id, id);
    assert.equal(kept!.status, 'sent');
    assert.equal(kept!.body, null, 'a delivered message keeps no one-time link');
    assert.ok(kept!.sent_at);
  });

  test('a refused message stays in the outbox with the server’s answer, and is marked failed after the last attempt', async () => {
    const { id } = await platform.mail.send(message('bounce@example.com'));
    await runner.poll();
    await runner.idle();
    const [first] = await platform.mail.list({ limit: 1 });
    assert.equal(first!.status, 'queued', 'it will be tried again');
    assert.match(first!.last_error ?? '', /550|mailbox unavailable/);
    assert.ok(first!.body, 'the text is kept until it is delivered');
    const job = await platform.db
      .selectFrom('jobs')
      .selectAll()
      .where('dedupe_key', '=', `mail:${id}`)
      .executeTakeFirstOrThrow();
    assert.equal(job.status, 'queued');
    assert.ok(job.run_at > new Date(), 'the retry waits');

    // The last attempt: a real delivery that fails again, run as the queue would run it.
    await platform.db
      .updateTable('jobs')
      .set({ attempts: job.max_attempts - 1, run_at: new Date(0) })
      .where('id', '=', job.id)
      .execute();
    await runner.poll();
    await runner.idle();
    const [last] = await platform.mail.list({ limit: 1 });
    assert.equal(last!.status, 'failed');
    assert.equal(last!.attempts, job.max_attempts);
    assert.equal(smtp.received.length, 1, 'nothing more was delivered');
  });
});
