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
