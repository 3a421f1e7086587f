import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPlatform, type TestPlatform } from '../../test/helpers/platform.js';
import { pruneJobsJob } from '../platform/jobs/builtin.js';
import { startWorker } from './worker.js';

let platform: TestPlatform;

before(async () => {
  platform = await createTestPlatform({ jobPollIntervalMs: 50 });
});
after(async () => {
  await platform.destroy();
});

test('of two workers only the leader registers the schedules, and the other takes over when it stops', async () => {
  const first = startWorker(platform);
  await once(first.leader, 'acquired');
  const second = startWorker(platform);
  try {
    await sleep(300);
    assert.equal(second.leader.isLeader, false);
    const schedules = await platform.db.selectFrom('job_schedules').select('name').execute();
    assert.deepEqual(schedules.map((row) => row.name), ['jobs.prune']);
    const takeover = once(second.leader, 'acquired');
    await first.stop();
    await takeover;
    assert.equal(second.leader.isLeader, true);
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
