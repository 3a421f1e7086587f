import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock, pollUntil } from './clock.js';

test('pollUntil returns the first answer that is not undefined or false', async () => {
  const answers = [undefined, false, 7];
  const got = await pollUntil(() => answers.shift(), { timeoutMs: 1000, clock: manualClock(new Date(0)) });
  assert.equal(got, 7);
});

test('pollUntil asks again after a check throws, and answers once one succeeds', async () => {
  let calls = 0;
  const got = await pollUntil(
    () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      return 'ready';
    },
    { timeoutMs: 1000, clock: manualClock(new Date(0)) },
  );
  assert.deepEqual([got, calls], ['ready', 3]);
});

test('pollUntil gives up at the deadline of its clock with the error it was told to throw', async () => {
  const clock = manualClock(new Date(0));
  let calls = 0;
  await assert.rejects(
    pollUntil(
      () => {
        calls++;
        throw new Error('still down');
      },
      {
        timeoutMs: 1000,
        intervalMs: 100,
        clock,
        timeoutError: (last) => new Error(`gave up: ${(last as Error).message}`),
      },
    ),
    /gave up: still down/,
  );
  assert.equal(clock.now().getTime(), 1000);
  assert.equal(calls, 11);
});

test('pollUntil without an error of its own throws the last one the check threw, or a plain timeout', async () => {
  await assert.rejects(
    pollUntil(() => undefined, { timeoutMs: 50, clock: manualClock(new Date(0)) }),
    /gave up waiting after 50 ms/,
  );
});

test('pollUntil stops at once when its signal is aborted', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stopped by the operator'));
  await assert.rejects(
    pollUntil(() => undefined, { timeoutMs: 1000, signal: controller.signal }),
    /stopped by the operator/,
  );
});
