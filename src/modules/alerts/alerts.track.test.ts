import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flapWindowMs, newTrack, step, type Notice, type Track } from './alerts.track.js';

const start = new Date('2027-01-01T00:00:00Z');
const every30s = (i: number) => new Date(start.getTime() + i * 30_000);

/** Feeds a run of evaluations (true: bad) 30 s apart, and gathers the notices. */
function run(readings: boolean[], forChecks = 2, from: Track = newTrack(start), offset = 0) {
  let track = from;
  const notices: { at: number; notice: Notice }[] = [];
  readings.forEach((bad, i) => {
    const result = step(track, bad, forChecks, every30s(offset + i));
    track = result.track;
    if (result.notice) notices.push({ at: offset + i, notice: result.notice });
  });
  return { track, notices };
}

test('it fires after two bad checks in a row, once, and recovers after two good ones', () => {
  const { notices, track } = run([false, true, false, true, true, true, true, false, true, false, false, false]);
  assert.deepEqual(notices, [
    { at: 4, notice: 'firing' },
    { at: 10, notice: 'recovered' },
  ]);
  assert.equal(track.firing, false);
});

test('a rule of one check fires at once', () => {
  assert.deepEqual(run([true], 1).notices, [{ at: 0, notice: 'firing' }]);
});

test('a check that flaps says so once, stays quiet, then says where it settled', () => {
  // Down two, up two, over and over for an hour: a change every minute.
  const flapping = Array.from({ length: 120 }, (_, i) => Math.floor(i / 2) % 2 === 0);
  const { notices, track } = run(flapping);
  assert.deepEqual(
    notices.map((n) => n.notice),
    ['firing', 'recovered', 'firing', 'flapping'],
    'three changes are sent, the fourth says it flaps, and then nothing',
  );
  assert.equal(track.flapping, true);
  // Then it stays down: one notice when it has held for the flap window.
  const steady = Array.from({ length: flapWindowMs / 30_000 + 2 }, () => true);
  const after = run(steady, 2, track, 120);
  assert.deepEqual(
    after.notices.map((n) => n.notice),
    ['settled'],
  );
  assert.equal(after.track.firing, true);
  assert.equal(after.track.flapping, false);
  // From then on it is an ordinary track again.
  assert.deepEqual(
    run([false, false], 2, after.track, 300).notices.map((n) => n.notice),
    ['recovered'],
  );
});

test('changes spread wider than the window are not flapping', () => {
  // Down then up every 20 minutes: each change is sent.
  const readings: boolean[] = [];
  for (let cycle = 0; cycle < 4; cycle++) readings.push(...Array.from({ length: 40 }, () => cycle % 2 === 0));
  const { notices } = run(readings);
  assert.deepEqual(
    notices.map((n) => n.notice),
    ['firing', 'recovered', 'firing', 'recovered'],
  );
});
