import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { attachRunning } from '../src/platform/postgres/embedded.js';
import { runCli, startUp } from './helpers/cli.js';
import { TwoNodes, type TestNode } from './helpers/nodes.js';

/**
 * The synchronous promise, tried the hard way: twenty times, the primary is killed (SIGKILL, as a
 * machine dies) under a write load of four clients, the standby is promoted, and every commit a
 * client saw acknowledged must be on the new primary. The killed node then comes back, is fenced,
 * and follows (on its own data, or copied anew when it had WAL the other never got), and the
 * roles are swapped for the next trial.
 */
const nodes = new TwoNodes();
const trials = 20;

before(() => nodes.start({ STEADFAST_REPLICATION_MODE: 'sync' }));
after(() => nodes.stop());

const waitsForStandby = async (node: TestNode): Promise<boolean> =>
  (await nodes.sql<{ names: string }>(node, "SELECT current_setting('synchronous_standby_names') AS names"))[0]!
    .names === '*';

/** Four clients inserting on the node until stopped; the ids whose commits returned. */
async function writeLoad(
  node: TestNode,
  firstId: number,
): Promise<{ acknowledged: number[]; stop(): Promise<number> }> {
  const running = (await attachRunning(node.config))!;
  const acknowledged: number[] = [];
  let next = firstId;
  let writing = true;
  const clients = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const client = new pg.Client({ ...running.admin, database: 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  const loops = clients.map(async (client) => {
    while (writing) {
      const id = next++;
      try {
        await client.query("INSERT INTO ledger VALUES ($1, 'trial')", [id]);
        acknowledged.push(id);
      } catch {
        return; // the server is gone
      }
    }
  });
  return {
    acknowledged,
    async stop() {
      writing = false;
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await Promise.all(loops);
      return next;
    },
  };
}

test(`synchronous mode: no acknowledged write is lost in ${trials} kill -9 trials of the primary under load`, async () => {
  let [primary, standby] = [nodes.a, nodes.b];
  let nextId = 100_000;
  let acknowledgedTotal = 0;
  let copiedAnew = 0;
  for (let trial = 1; trial <= trials; trial++) {
    await nodes.until(
      `trial ${trial}: ${standby.name} streams and ${primary.name} waits for it`,
      async () => (await nodes.streaming(standby)) && (await waitsForStandby(primary)),
    );
    const load = await writeLoad(primary, nextId);
    await sleep(300 + Math.random() * 300);
    await nodes.kill(primary);
    nextId = await load.stop();
    assert.ok(load.acknowledged.length > 0, `trial ${trial}: writes were acknowledged before the kill`);
    acknowledgedTotal += load.acknowledged.length;

    const promoted = await runCli(['failover', '--primary-is-down', '--json'], standby.env);
    assert.equal(promoted.code, 0, `trial ${trial}: ${promoted.stderr}`);
    const present = new Set(
      (
        await nodes.sql<{ id: number }>(standby, 'SELECT id FROM ledger WHERE id = ANY($1::int[])', [load.acknowledged])
      ).map((row) => row.id),
    );
    assert.deepEqual(
      load.acknowledged.filter((id) => !present.has(id)),
      [],
      `trial ${trial}: every acknowledged commit is on the new primary`,
    );

    // The killed node returns: fenced on start, it follows the new primary.
    const kept = (await readdir(path.dirname(primary.dataDir))).filter((name) => name.includes('.diverged-')).length;
    primary.process = await startUp(primary.env);
    await nodes.until(
      `trial ${trial}: ${primary.name} follows ${standby.name}`,
      async () => (await nodes.inRecovery(primary)) && (await nodes.streaming(primary)),
    );
    copiedAnew +=
      (await readdir(path.dirname(primary.dataDir))).filter((name) => name.includes('.diverged-')).length - kept;
    [primary, standby] = [standby, primary];
  }
  assert.deepEqual(nodes.bothPrimary, [], 'never two primaries at once');
  if (copiedAnew > 0) {
    const statuses = await Promise.all([nodes.a, nodes.b].map((node) => runCli(['status'], node.env)));
    assert.ok(
      statuses.some((status) =>
        /diverged-.* is this node's data from before a failover/.test(status.stdout + status.stderr),
      ),
      'status tells of the kept copies',
    );
  }
  console.log(
    `${trials} trials: ${acknowledgedTotal} acknowledged commits, none lost; ${copiedAnew} returning primaries had WAL the other never got and were copied anew`,
  );
});
