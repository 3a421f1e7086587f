import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../../test/helpers/platform.js';
import { recordDrill, type DrillResult } from '../modules/backup/index.js';
import { recordFailoverDrill } from '../modules/replication/index.js';
import { createMetrics } from './metrics.js';

let platform: TestPlatform;
before(async () => {
  platform = await createTestPlatform();
});
after(async () => {
  await platform.destroy();
});

const drill = (hoursAgo: number, passed: boolean): DrillResult => {
  const finishedAt = new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
  return {
    startedAt: finishedAt,
    finishedAt,
    passed,
    restoredBytes: 5_000_000,
    durationSeconds: 42,
    restoreMbS: 150,
    rpoSeconds: 2.5,
    compared: 1,
    changed: [],
    amcheck: { databases: 2, indexes: 10, tables: 5 },
    problems: passed ? [] : ['broken'],
  };
};

const value = (text: string, name: string): string | undefined => new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];

test("drill metrics: the last drill's figures, and drill_ok only while the last passed and one passed within 26 hours", async () => {
  const registry = createMetrics(platform);
  let text = await registry.metrics();
  assert.equal(value(text, 'steadfast_drill_ok'), '0', 'no drill yet');
  // Unknown, not failed: NaN (prom-client spells it Nan; Prometheus reads it case-blind).
  assert.equal(value(text, 'steadfast_drill_last_passed'), 'Nan');
  assert.equal(value(text, 'steadfast_drill_rpo_seconds'), 'Nan');

  await recordDrill(platform.db, drill(30, true));
  text = await registry.metrics();
  assert.equal(value(text, 'steadfast_drill_ok'), '0', 'the last pass is 30 hours old');
  assert.equal(value(text, 'steadfast_drill_last_passed'), '1');

  await recordDrill(platform.db, drill(1, true));
  text = await registry.metrics();
  assert.equal(value(text, 'steadfast_drill_ok'), '1');
  assert.equal(value(text, 'steadfast_drill_rpo_seconds'), '2.5');
  assert.equal(value(text, 'steadfast_drill_restore_mb_per_second'), '150');
  assert.equal(value(text, 'steadfast_drill_duration_seconds'), '42');

  await recordDrill(platform.db, drill(0.5, false));
  text = await registry.metrics();
  assert.equal(value(text, 'steadfast_drill_ok'), '0', 'the last drill failed');
  assert.equal(value(text, 'steadfast_drill_last_passed'), '0');
  assert.ok(
    Number(value(text, 'steadfast_drill_last_success_timestamp_seconds')) <
      Number(value(text, 'steadfast_drill_last_timestamp_seconds')),
  );
});

test('failover drill metrics: the last drill of each mode, labelled by mode', async () => {
  const registry = createMetrics(platform);
  const at = (hoursAgo: number): Date => new Date(Date.now() - hoursAgo * 3_600_000);
  const base = { trials: [{}, {}], acknowledged: 2000, problems: [] as string[] };
  await recordFailoverDrill(platform.db, {
    ...base,
    mode: 'sync',
    startedAt: at(3),
    finishedAt: at(3),
    passed: false,
    lost: 4,
    rpoP99Ms: 20,
    rtoP99Seconds: 9,
    rtoMaxSeconds: 9,
    problems: ['synchronous mode lost 4'],
  });
  await recordFailoverDrill(platform.db, {
    ...base,
    mode: 'sync',
    startedAt: at(1),
    finishedAt: at(1),
    passed: true,
    lost: 0,
    rpoP99Ms: 0,
    rtoP99Seconds: 0.3,
    rtoMaxSeconds: 0.4,
  });
  await recordFailoverDrill(platform.db, {
    ...base,
    mode: 'async',
    startedAt: at(2),
    finishedAt: at(2),
    passed: true,
    lost: 3,
    rpoP99Ms: 12,
    rtoP99Seconds: 0.4,
    rtoMaxSeconds: 0.5,
  });
  const text = await registry.metrics();
  const labelled = (name: string, mode: string): string | undefined =>
    new RegExp(`^${name}\\{mode="${mode}"\\} (\\S+)$`, 'm').exec(text)?.[1];
  assert.equal(labelled('steadfast_failover_drill_last_passed', 'sync'), '1', 'the later sync drill counts');
  assert.equal(labelled('steadfast_failover_drill_lost_writes', 'sync'), '0');
  assert.equal(labelled('steadfast_failover_drill_rto_p99_seconds', 'sync'), '0.3');
  assert.equal(labelled('steadfast_failover_drill_lost_writes', 'async'), '3');
  assert.equal(labelled('steadfast_failover_drill_rpo_p99_seconds', 'async'), '0.012');
});
