import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withClient } from '../../platform/db/connect.js';
import { scratchBackups } from '../../../test/helpers/backups.js';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';

const archiveTimeoutSeconds = 1;
let cluster: ScratchCluster;

before(async () => {
  cluster = await startScratchCluster('crash', { archive: true, archiveTimeoutSeconds, restartOnCrash: false });
});
after(async () => {
  await cluster.stop();
});

test('kill -9 of the primary under a write load, then a restore from the repositories alone, loses only the last moments (within archive_timeout plus a push; 8 s of load)', async (t) => {
  const { service, pusher } = await scratchBackups(cluster, 'offsite');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, payload text NOT NULL)');
  await service.take();
  pusher.start();

  // One writer; each acknowledged commit is remembered with when it was acknowledged.
  const acknowledged: Array<{ id: number; at: number }> = [];
  let crashed = false;
  const load = withClient(cluster.target(), async (client) => {
    for (let id = 1; !crashed; id++) {
      try {
        await client.query('INSERT INTO orders VALUES ($1, repeat($2, 200))', [id, 'x']);
      } catch {
        return; // the server is gone
      }
      acknowledged.push({ id, at: Date.now() });
    }
  }).catch(() => undefined);
  await sleep(8000); // longer than the bound below, so a broken archive cannot pass it
  // The primary's machine dies: Postgres is killed, and its disk (pg_wal, the spool) counts as lost.
  crashed = true;
  process.kill(cluster.supervisor.pid!, 'SIGKILL');
  const crashAt = Date.now();
  await pusher.stop(0);
  await load;
  assert.ok(acknowledged.length > 200, `the load ran (${acknowledged.length} commits)`);

  const target = path.join(cluster.dir, 'restored');
  const result = await service.restore({ target, owner: cluster.runAs });
  const restored = await cluster.startOn(target);
  let ids: number[];
  try {
    ids = await withClient(restored.target(), async (client) =>
      (await client.query<{ id: number }>('SELECT id FROM orders ORDER BY id')).rows.map((row) => row.id),
    );
  } finally {
    await restored.stop();
  }
  // What came back is exactly a prefix of what was acknowledged: nothing invented, no holes.
  assert.deepEqual(
    ids,
    acknowledged.slice(0, ids.length).map((entry) => entry.id),
  );
  const lastKept = acknowledged[ids.length - 1];
  const lostSeconds = lastKept ? (crashAt - lastKept.at) / 1000 : Infinity;
  const lost = acknowledged.length - ids.length;
  t.diagnostic(
    `lost ${lost} of ${acknowledged.length} commits, the last ${lostSeconds.toFixed(2)} s before the crash; recovered to ${result.recovery?.lastTransactionAt}`,
  );
  assert.ok(
    lostSeconds <= archiveTimeoutSeconds + 4,
    `lost the last ${lostSeconds.toFixed(2)} s of commits (${lost} of ${acknowledged.length}); the bound is archive_timeout (${archiveTimeoutSeconds} s) plus a push, with room for a loaded machine`,
  );
});
