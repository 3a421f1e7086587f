import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planWal, segmentEnding, segmentOf, segmentStartLsn } from './backup.wal-plan.js';

for (const [lsn, timeline, name] of [
  ['0/2000028', 1, '000000010000000000000002'],
  ['0/FFFFFFFF', 1, '0000000100000000000000FF'],
  ['1/0', 1, '000000010000000100000000'],
  ['16/B374D848', 3, '0000000300000016000000B3'],
] as const) {
  test(`LSN ${lsn} on timeline ${timeline} is in segment ${name}`, () => {
    assert.equal(segmentOf(lsn, timeline), name);
  });
}

const backup = { startLsn: '0/3000028', timeline: 1 };

test('takes the segments from the backup start on, timeline histories first, and finds no gap in a whole archive', () => {
  const plan = planWal(
    [
      '000000010000000000000001',
      '000000010000000000000002',
      '000000010000000000000003',
      '000000010000000000000004',
      '00000002.history',
      '000000020000000000000004',
    ],
    backup,
  );
  assert.deepEqual(plan.files, [
    '00000002.history',
    '000000010000000000000003',
    '000000010000000000000004',
    '000000020000000000000004',
  ]);
  assert.deepEqual(plan.gaps, []);
  assert.equal(plan.lastContiguous, '000000010000000000000004');
});

test('reports a hole with the range that cannot be recovered', () => {
  const plan = planWal(
    ['000000010000000000000003', '000000010000000000000004', '000000010000000000000007', '000000010000000000000008'],
    backup,
  );
  assert.deepEqual(plan.gaps, [{ timeline: 1, from: '000000010000000000000005', to: '000000010000000000000006' }]);
  assert.equal(plan.lastContiguous, '000000010000000000000004');
});

test('crosses from one log file number to the next without a false gap', () => {
  const plan = planWal(['0000000100000000000000FE', '0000000100000000000000FF', '000000010000000100000000'], {
    startLsn: '0/FE000028',
    timeline: 1,
  });
  assert.deepEqual(plan.gaps, []);
});

test('reports the backup start segment itself missing', () => {
  const plan = planWal(['000000010000000000000004'], backup);
  assert.deepEqual(plan.gaps, [{ timeline: 1, from: '000000010000000000000003', to: '000000010000000000000003' }]);
  assert.equal(plan.lastContiguous, undefined);
});

test('an end position belongs to the segment holding the byte before it: a boundary closes the segment before', () => {
  const segment = 16n * 1024n * 1024n;
  assert.deepEqual(segmentEnding(3n * segment + 100n, 1), { segment: '000000010000000000000003', within: 100 });
  assert.deepEqual(segmentEnding(4n * segment, 1), { segment: '000000010000000000000003', within: 16 * 1024 * 1024 });
  assert.deepEqual(segmentEnding(256n * segment + 1n, 2), { segment: '000000020000000100000000', within: 1 });
  assert.equal(segmentStartLsn('000000020000000100000000'), 256n * segment);
  assert.equal(segmentStartLsn('000000010000000000000003'), 3n * segment);
});
