import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { pruneJobsJob } from './builtin.js';
import { startWorker } from './worker.js';

let platform: TestPlatform;

before(async () => {
  platform = await createTestPlatform({ jobPollIntervalMs: 50 });
});
after(async () => {
  await platform.destroy();
});

/** Counts how often a worker's scheduler ticks. */
function countTicks(worker: ReturnType<typeof startWorker>): { count: number } {
  const counter = { count: 0 };
  const tick = worker.scheduler.tick.bind(worker.scheduler);
  worker.scheduler.tick = () => {
    counter.count++;
    return tick();
  };
  return counter;
}

test('of two workers only the leader ticks the schedules, and the other takes over when it stops', async () => {
  const first = startWorker(platform);
  const firstTicks = countTicks(first);
  await once(first.leader, 'acquired');
  const second = startWorker(platform);
  const secondTicks = countTicks(second);
  try {
    await sleep(1500);
    assert.equal(second.leader.isLeader, false);
    assert.ok(firstTicks.count >= 1, 'the leader ticks');
    assert.equal(secondTicks.count, 0, 'the follower must not tick');
    const schedules = await platform.db.selectFrom('job_schedules').select('name').execute();
    assert.deepEqual(schedules.map((row) => row.name).sort(), ['jobs.prune', 'rate_limits.prune']);
    const takeover = once(second.leader, 'acquired');
    await first.stop();
    const ticksAtStop = firstTicks.count;
    await takeover;
    assert.equal(second.leader.isLeader, true);
    assert.ok(secondTicks.count >= 1, 'the new leader ticks');
    await sleep(1200);
    assert.equal(firstTicks.count, ticksAtStop, 'a stopped worker no longer ticks');
  } finally {
    await first.stop();
    await second.stop();
  }
});

test('a running worker picks up a queued job without being asked', async () => {
  const worker = startWorker(platform);
  try {
    const { id } = await platform.jobs.enqueue(pruneJobsJob(platform.jobs, platform.clock), { keepDays: 1 });
    for (let i = 0; i < 100 && (await platform.jobs.get(id))?.status !== 'succeeded'; i++) await sleep(50);
    assert.deepEqual((await platform.jobs.get(id))?.result, { deleted: 0 });
  } finally {
    await worker.stop();
  }
});

test('a leader loop runs on the leader only, again and again but never twice at once, and moves to the next leader', async () => {
  const runs: string[] = [];
  let running = 0;
  let overlapped = false;
  const loopOf = (name: string) => ({
    name: 'test.loop',
    everyMs: 100,
    run: async () => {
      running++;
      if (running > 1) overlapped = true;
      runs.push(name);
      await sleep(150); // longer than everyMs: the next run waits for this one
      running--;
    },
  });
  const first = startWorker(platform, { loops: [loopOf('first')] });
  await once(first.leader, 'acquired');
  const second = startWorker(platform, { loops: [loopOf('second')] });
  try {
    await sleep(1000);
    assert.ok(runs.length >= 4, `${runs.length} runs in a second`);
    assert.ok(runs.length <= 8, `${runs.length} runs in a second: a run that outlasts everyMs is not doubled`);
    assert.ok(!runs.includes('second'), 'the follower does not run the loop');
    assert.equal(overlapped, false);
    const takeover = once(second.leader, 'acquired');
    await first.stop();
    const runsAtStop = runs.length;
    assert.equal(running, 0, 'stopping waits for the run under way');
    await takeover;
    await sleep(500);
    assert.ok(runs.slice(runsAtStop).includes('second'), 'the new leader runs it');
    assert.ok(!runs.slice(runsAtStop).includes('first'), 'a stopped worker no longer runs it');
  } finally {
    await first.stop();
    await second.stop();
  }
});
