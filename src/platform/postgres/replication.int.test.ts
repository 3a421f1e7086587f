import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { TarReader } from '../storage/tar-reader.js';
import { streamBaseBackup } from './replication.js';

let cluster: ScratchCluster;
before(async () => {
  cluster = await startScratchCluster('replication');
});
after(async () => {
  await cluster.stop();
});

test('a base backup keeps the WAL it needs while checkpoints recycle segments under it', async () => {
  const segments: string[] = [];
  let manifest = false;
  let ended = false;
  let paused = false;
  const tar = new TarReader({
    entry: (entry) => /^pg_wal\/[0-9A-F]{24}$/.test(entry.name) && segments.push(entry.name),
    data: () => undefined,
    end: () => undefined,
  });
  for await (const event of streamBaseBackup(cluster.target(), {
    label: 'recycling',
    includeWal: true,
    fastCheckpoint: true,
  })) {
    if (event.kind === 'manifest') manifest = true;
    if (event.kind === 'data' && !manifest) tar.feed(event.chunk);
    if (event.kind === 'end') ended = true;
    if (event.kind === 'start' && !paused) {
      paused = true;
      // While the backup runs: several segments of WAL, switched and checkpointed, so the
      // segments from the backup's start are recycled unless something holds them.
      await cluster.sql('CREATE TABLE churn (n int, pad text)');
      for (let round = 0; round < 6; round++) {
        await cluster.sql("INSERT INTO churn SELECT g, repeat('x', 500) FROM generate_series(1, 60000) g");
        await cluster.sql('SELECT pg_switch_wal()');
        await cluster.sql('CHECKPOINT');
      }
    }
  }
  // Without the slot, PostgreSQL ends the backup with "requested WAL segment ... has already been removed".
  assert.ok(ended);
  assert.ok(segments.length >= 1, `the WAL from the backup's start came with it (${segments.join(', ')})`);
  // The slot that held the WAL went with the backup's session.
  assert.deepEqual(await cluster.sql('SELECT slot_name FROM pg_replication_slots'), []);
});
