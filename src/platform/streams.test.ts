import assert from 'node:assert/strict';
import { test } from 'node:test';
import { broadcast } from './streams.js';

/** Reads `source`, noting what was released before this reader asked for each next value. */
async function readAll(source: AsyncIterable<{ n: number }>, seen: number[], gate?: Promise<void>): Promise<void> {
  for await (const value of source) {
    seen.push(value.n);
    if (gate && value.n === 1) await gate;
  }
}

test('broadcast releases a value once every consumer has asked for the one after it, never before', async () => {
  const values = [0, 1, 2, 3].map((n) => ({ n }));
  const released: number[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const fan = broadcast(
    (async function* () {
      yield* values;
    })(),
    2,
    (value) => released.push(value.n),
  );
  const fast: number[] = [];
  const slow: number[] = [];
  const reading = Promise.all([readAll(fan.outputs[0]!, fast), readAll(fan.outputs[1]!, slow, gate)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  // The slow consumer holds value 1: 0 is released, 1 is not, whatever the fast one has done.
  assert.deepEqual(released, [0]);
  open();
  await reading;
  await fan.done;
  assert.deepEqual(fast, [0, 1, 2, 3]);
  assert.deepEqual(slow, [0, 1, 2, 3]);
  assert.deepEqual(released, [0, 1, 2, 3]);
});

test('broadcast never releases what a consumer that failed still holds; the others go on', async () => {
  const values = [0, 1, 2].map((n) => ({ n }));
  const released: number[] = [];
  const fan = broadcast(
    (async function* () {
      yield* values;
    })(),
    2,
    (value) => released.push(value.n),
  );
  // The failing consumer takes 0, then 1, and fails holding 1 (it never asks for more).
  const failing = fan.outputs[1]![Symbol.asyncIterator]();
  assert.equal((await failing.next()).value?.n, 0);
  assert.equal((await failing.next()).value?.n, 1);
  fan.drop(1, new Error('the repository failed'));
  const good: number[] = [];
  await readAll(fan.outputs[0]!, good);
  await fan.done;
  assert.deepEqual(good, [0, 1, 2]);
  assert.ok(released.includes(0), 'both went past 0');
  assert.ok(!released.includes(1), 'the failed consumer may still hold 1');
});
