import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import {
  lagHistory,
  pruneSamples,
  recordSamples,
  sampleRetentionDays,
  type ReplicationSample,
} from './replication.history.js';

let platform: TestPlatform;
before(async () => {
  platform = await createTestPlatform();
});
after(() => platform.destroy());

const sample = (at: Date, over: Partial<ReplicationSample> = {}): ReplicationSample => ({
  at,
  node: 'node_a',
  standby: 'node_b',
  state: 'streaming',
  syncState: 'async',
  lagBytes: 100,
  replayLagMs: 1,
  slotRetainedBytes: 0,
  slotLost: false,
  ...over,
});

test('samples are kept, summed up per standby, and pruned after the retention', async () => {
  const { db } = platform;
  const now = new Date();
  const old = new Date(now.getTime() - (sampleRetentionDays + 1) * 86_400_000);
  const recent = Array.from({ length: 100 }, (_, i) =>
    sample(new Date(now.getTime() - i * 10_000), { replayLagMs: i + 1, lagBytes: i * 10 }),
  );
  await recordSamples(db, [
    ...recent,
    sample(new Date(now.getTime() - 5000), {
      standby: 'node_c',
      state: 'disconnected',
      replayLagMs: null,
      lagBytes: null,
    }),
    sample(old),
  ]);
  const history = await lagHistory(db, new Date(now.getTime() - 3_600_000));
  assert.equal(history.length, 2);
  const [b, c] = history;
  assert.equal(b!.standby, 'node_b');
  assert.equal(b!.samples, 100);
  assert.equal(b!.streamingShare, 1);
  assert.ok(Math.abs(b!.replayLagP99Ms! - 99.01) < 0.01, `p99 ${b!.replayLagP99Ms}`);
  assert.equal(b!.lagBytesMax, 990);
  assert.deepEqual(
    { ...c! },
    { standby: 'node_c', samples: 1, streamingShare: 0, replayLagP99Ms: null, lagBytesMax: null },
  );
  assert.equal(await pruneSamples(db, now), 1, 'only the sample past the retention goes');
  assert.equal(
    (await lagHistory(db, new Date(0))).reduce((sum, row) => sum + row.samples, 0),
    101,
  );
});
