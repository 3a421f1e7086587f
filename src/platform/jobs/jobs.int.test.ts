import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { z } from 'zod';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../clock/clock.js';
import { silentLogger } from '../log/log.js';
import { LeaderLock } from './leader.js';
import { defineJob, type JobDefinition, type JobQueue } from './queue.js';
import { JobRunner } from './runner.js';
import { Scheduler } from './scheduler.js';

let platform: TestPlatform;
const log = silentLogger();

before(async () => {
  platform = await createTestPlatform();
});
after(async () => {
  await platform.destroy();
});

function runnerWith(...definitions: JobDefinition[]): JobRunner {
  return new JobRunner(platform.jobs, log, { concurrency: 2, pollIntervalMs: 50 }).register(...definitions);
}

/** Polls and waits until no job of this runner is running. */
async function drain(runner: JobRunner): Promise<void> {
  await runner.poll();
  await runner.idle();
}

let typeCounter = 0;
function jobType(): string {
  return `test.job${++typeCounter}`;
}

describe('the job queue', () => {
  test('runs a job once and records its result', async () => {
    const calls: number[] = [];
    const double = defineJob({
      type: jobType(),
      schema: z.object({ n: z.number() }),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      async handle({ n }) {
        calls.push(n);
        return { doubled: n * 2 };
      },
    });
    const { id } = await platform.jobs.enqueue(double, { n: 21 });
    const runner = runnerWith(double);
    await drain(runner);
    await drain(runner);
    assert.deepEqual(calls, [21]);
    const job = await platform.jobs.get(id);
    assert.equal(job?.status, 'succeeded');
    assert.deepEqual(job?.result, { doubled: 42 });
  });

  test('refuses a payload that does not match the job schema', async () => {
    const typed = defineJob({
      type: jobType(),
      schema: z.object({ n: z.number() }),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      handle: async () => undefined,
    });
    await assert.rejects(platform.jobs.enqueue(typed, { n: 'x' } as never), /expected number/);
  });

  test('retries a failing job with backoff and fails it after its last attempt', async () => {
    let attempts = 0;
    const flaky = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 3,
      backoffSeconds: 0,
      async handle() {
        attempts++;
        throw new Error(`attempt ${attempts} broke`);
      },
    });
    const { id } = await platform.jobs.enqueue(flaky, {});
    const runner = runnerWith(flaky);
    // Each drain runs what is due; a retry with no backoff is due at once, so a few drains finish it.
    for (let i = 0; i < 10 && (await platform.jobs.get(id))?.status !== 'failed'; i++) await drain(runner);
    await drain(runner);
    assert.equal(attempts, 3, 'no attempt after the last one');
    const job = await platform.jobs.get(id);
    assert.equal(job?.status, 'failed');
    assert.equal(job?.attempts, 3);
    assert.equal(job?.last_error, 'attempt 3 broke');
  });

  test('waits for every attempt it started, even a retry claimed before the attempt before it had finished', async () => {
    // Forces the interleaving CI once hit by chance: attempt 2 is claimed after attempt 1's failure
    // is recorded but before attempt 1 has finished, so both are in flight under one job id.
    let attempt1Recorded!: () => void;
    const recorded = new Promise<void>((resolve) => (attempt1Recorded = resolve));
    let attempt2Claimed!: () => void;
    const claimed2 = new Promise<void>((resolve) => (attempt2Claimed = resolve));
    let attempt2Finished = false;
    const twice = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 2,
      backoffSeconds: 0,
      async handle(_payload, { attempt }) {
        if (attempt === 2) {
          await sleep(200);
          attempt2Finished = true;
        }
        throw new Error(`attempt ${attempt} broke`);
      },
    });
    const queue = Object.create(platform.jobs) as JobQueue;
    let claims = 0;
    queue.claim = async (worker, types) => {
      if (claims++ > 0) await recorded;
      const job = await platform.jobs.claim(worker, types);
      if (job?.attempts === 2) attempt2Claimed();
      return job;
    };
    queue.fail = async (job, message) => {
      const outcome = await platform.jobs.fail(job, message);
      if (job.attempts === 1) {
        attempt1Recorded();
        await claimed2;
      }
      return outcome;
    };
    const { id } = await platform.jobs.enqueue(twice, {});
    await drain(new JobRunner(queue, log, { concurrency: 2, pollIntervalMs: 50 }).register(twice));
    assert.ok(attempt2Finished, 'the drain waited for attempt 2');
    assert.equal((await platform.jobs.get(id))?.status, 'failed');
  });

  test('puts a retry off by its backoff', async () => {
    const failing = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 2,
      backoffSeconds: 3600,
      handle: async () => Promise.reject(new Error('no')),
    });
    const { id } = await platform.jobs.enqueue(failing, {});
    const runner = runnerWith(failing);
    await drain(runner);
    await drain(runner);
    const job = await platform.jobs.get(id);
    assert.equal(job?.status, 'queued');
    assert.equal(job?.attempts, 1);
    assert.ok(job!.run_at.getTime() > Date.now() + 3500_000, 'the retry waits about an hour');
  });

  test('aborts a job that runs past its timeout', async () => {
    let aborted = false;
    const slow = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 1,
      maxAttempts: 1,
      backoffSeconds: 0,
      async handle(_payload, { signal }) {
        await once(signal, 'abort');
        aborted = true;
        await new Promise(() => undefined); // ignores the abort: the runner must not wait for it
      },
    });
    const { id } = await platform.jobs.enqueue(slow, {});
    await drain(runnerWith(slow));
    assert.ok(aborted);
    const job = await platform.jobs.get(id);
    assert.equal(job?.status, 'failed');
    assert.match(job?.last_error ?? '', /timed out after 1 s/);
  });

  test('enqueues a job with the same dedupe key only once', async () => {
    const noop = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      handle: async () => undefined,
    });
    const first = await platform.jobs.enqueue(noop, {}, { dedupeKey: `once-${noop.type}` });
    const second = await platform.jobs.enqueue(noop, {}, { dedupeKey: `once-${noop.type}` });
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.id, first.id);
  });

  test('gives a job back to the queue when its worker died holding it', async () => {
    const noop = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 2,
      backoffSeconds: 0,
      handle: async () => ({ ok: true }),
    });
    const { id } = await platform.jobs.enqueue(noop, {});
    const claimed = await platform.jobs.claim('dead-worker', [noop.type]);
    assert.equal(claimed?.id, id);
    await platform.db
      .updateTable('jobs')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
    await drain(runnerWith(noop));
    const job = await platform.jobs.get(id);
    assert.equal(job?.status, 'succeeded');
    assert.equal(job?.attempts, 2);
  });

  test('records progress reported by a long job', async () => {
    const long = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      async handle(_payload, { progress }) {
        await progress({ done: 3, total: 10, unit: 'tenants' });
      },
    });
    const { id } = await platform.jobs.enqueue(long, {});
    await drain(runnerWith(long));
    assert.deepEqual((await platform.jobs.get(id))?.progress, { done: 3, total: 10, unit: 'tenants' });
  });
});

describe('leadership', () => {
  test('exactly one of two processes leads, and the other takes over when it stops', async () => {
    const key = 4242;
    const first = new LeaderLock(platform.database.admin, key, log, 50);
    const second = new LeaderLock(platform.database.admin, key, log, 50);
    try {
      first.start();
      await once(first, 'acquired');
      second.start();
      await sleep(200);
      assert.equal(first.isLeader, true);
      assert.equal(second.isLeader, false);
      const takeover = once(second, 'acquired');
      await first.stop();
      await takeover;
      assert.equal(second.isLeader, true);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  test('a leader whose connection is killed loses leadership at once', async () => {
    const lock = new LeaderLock(platform.database.admin, 4343, log, 50);
    try {
      lock.start();
      await once(lock, 'acquired');
      const lost = once(lock, 'lost');
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'steadfast-leader' AND datname = current_database()`.execute(
        platform.db,
      );
      await lost;
      assert.equal(lock.isLeader, false);
    } finally {
      await lock.stop();
    }
  });
});

describe('schedules', () => {
  test('fire once per due time even when two schedulers tick, and catch up a missed fire once', async () => {
    const clock = manualClock(new Date('2026-11-24T01:00:00Z'));
    const nightly = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      handle: async () => undefined,
    });
    const schedule = { name: `nightly-${nightly.type}`, cron: '0 2 * * *', timeZone: 'UTC', job: nightly, payload: {} };
    const a = new Scheduler(platform.db, platform.jobs, clock, log).add(schedule);
    const b = new Scheduler(platform.db, platform.jobs, clock, log).add(schedule);
    const count = async (): Promise<number> =>
      (await platform.db.selectFrom('jobs').select('id').where('type', '=', nightly.type).execute()).length;

    assert.deepEqual(await a.tick(), []);
    clock.set(new Date('2026-11-24T02:00:05Z'));
    await a.tick();
    await b.tick();
    assert.equal(await count(), 1);
    clock.set(new Date('2026-11-27T03:00:00Z')); // three nights missed while down
    const fresh = new Scheduler(platform.db, platform.jobs, clock, log).add(schedule);
    await fresh.tick();
    await fresh.tick();
    assert.equal(await count(), 2);
  });

  test('refuse an invalid cron expression with a readable error', async () => {
    const nightly = defineJob({
      type: jobType(),
      schema: z.object({}),
      timeoutSeconds: 5,
      maxAttempts: 1,
      backoffSeconds: 0,
      handle: async () => undefined,
    });
    const scheduler = new Scheduler(platform.db, platform.jobs, manualClock(new Date()), log);
    assert.throws(
      () => scheduler.add({ name: 'bad', cron: '61 * * * *', timeZone: 'UTC', job: nightly, payload: {} }),
      /invalid schedule "61 \* \* \* \*"/,
    );
  });
});
