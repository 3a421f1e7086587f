import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { attachRunning } from '../src/platform/postgres/embedded.js';
import { withClient } from '../src/platform/db/connect.js';
import { runCli, startUp } from './helpers/cli.js';
import { TwoNodes, type TestNode } from './helpers/nodes.js';

/**
 * Synchronous replication as an operator lives with it: a commit waits while the standby is
 * gone, the operator sees why and lets writes go on with one audited command, and a failover
 * whose old primary was declared down leaves a primary that commits alone until a standby
 * streams from it again.
 */
const nodes = new TwoNodes();

before(() => nodes.start({ STEADFAST_REPLICATION_MODE: 'sync' }));
after(() => nodes.stop());

/** An INSERT on the node's server, on a connection of its own; resolves when the commit returns. */
async function insert(node: TestNode, id: number): Promise<{ done: Promise<void>; cancel(): Promise<void> }> {
  const running = (await attachRunning(node.config))!;
  const client = new pg.Client({ ...running.admin, database: 'postgres' });
  await client.connect();
  const done = client.query("INSERT INTO ledger VALUES ($1, 'sync')", [id]).then(() => undefined);
  done.catch(() => undefined);
  return { done: done.finally(() => client.end()), cancel: () => client.end() };
}

const settled = async (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

async function audit(
  node: TestNode,
  action: string,
): Promise<Array<{ actor: string; detail: Record<string, unknown> }>> {
  const running = (await attachRunning(node.config))!;
  return withClient(
    running.admin,
    async (client) =>
      (
        await client.query<{ actor: string; detail: Record<string, unknown> }>(
          'SELECT actor, detail FROM platform_audit WHERE action = $1 ORDER BY id',
          [action],
        )
      ).rows,
  );
}

describe('synchronous replication', () => {
  test('a commit waits while the standby is gone; "replication mode async" lets it through, audited; "configured" waits again', async () => {
    const { a, b } = nodes;
    // node_b streams: from then on commits wait for it (before a standby ever streamed, they did not).
    await nodes.until(
      'commits wait for node_b',
      async () =>
        (await nodes.sql<{ names: string }>(a, "SELECT current_setting('synchronous_standby_names') AS names"))[0]!
          .names === '*',
    );
    const first = await insert(a, 1001);
    assert.equal(await settled(first.done, 5000), true, 'with the standby streaming, a commit returns');

    await b.process!.stop();
    b.process = undefined;
    const waiting = await insert(a, 1002);
    assert.equal(await settled(waiting.done, 1500), false, 'with no standby, the commit waits');
    const status = await runCli(['status'], a.env);
    assert.match(status.stdout + status.stderr, /synchronous/i, 'status says why writes wait');

    const refused = await runCli(['replication', 'mode', 'async'], a.env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--reason/);
    const changed = await runCli(
      ['replication', 'mode', 'async', '--reason', 'standby machine under repair', '--json'],
      a.env,
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(JSON.parse(changed.stdout), {
      mode: 'async',
      configured: 'sync',
      override: JSON.parse(changed.stdout).override,
    });
    assert.equal(await settled(waiting.done, 5000), true, 'the waiting commit returns once the mode is async');
    const shown = await runCli(['replication', 'mode'], a.env);
    assert.match(
      shown.stdout,
      /^async \(replicationMode is sync; set to async by operator:\S+ at .*: standby machine under repair\)/,
    );
    const all = await audit(a, 'replication.mode');
    assert.deepEqual(
      { ...all[0]!, detail: { ...all[0]!.detail } },
      {
        actor: 'system:steadfast',
        detail: { node: 'node_a', to: 'sync', reason: 'a standby streams from this node: commits wait for it' },
      },
      'arming, when node_b first streamed, is in the log',
    );
    const entries = all.filter((entry) => entry.actor.startsWith('operator:'));
    assert.equal(entries.length, 1);
    assert.deepEqual(
      { ...entries[0]!.detail },
      { node: 'node_a', from: 'sync', to: 'async', reason: 'standby machine under repair', via: '127.0.0.1' },
    );

    // Back to the configured mode: commits wait for a standby again, and return once it is back.
    const back = await runCli(['replication', 'mode', 'configured', '--reason', 'standby repaired'], a.env);
    assert.equal(back.code, 0, back.stderr);
    const waitingAgain = await insert(a, 1003);
    assert.equal(await settled(waitingAgain.done, 1500), false, 'configured (sync) again: the commit waits');
    b.process = await startUp(b.env);
    assert.equal(await settled(waitingAgain.done, 30_000), true, 'the standby back, the commit returns');
    assert.equal((await audit(a, 'replication.mode')).filter((entry) => entry.actor.startsWith('operator:')).length, 2);

    // The primary records its standby's state and lag for the status page, and status sums it up.
    const samples = async (): Promise<number> =>
      withClient(
        (await attachRunning(a.config))!.admin,
        async (client) =>
          (
            await client.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM replication_samples WHERE standby = 'node_b'",
            )
          ).rows[0]!.n,
      );
    await nodes.until('node_a has sampled node_b', async () => (await samples()) > 0, 30_000);
    const summed = await runCli(['status'], a.env);
    assert.match(summed.stdout, /last 24 h, node_b: streaming [\d.]+ % of \d+ samples/);
  });

  test('a failover with the primary declared down commits alone until a standby streams, then waits for it again', async () => {
    const { a, b } = nodes;
    await nodes.until('node_b streams', () => nodes.streaming(b));
    // node_a dies with nothing node_b lacks (as in sync mode for all that was acknowledged), so it can follow node_b when it returns.
    const { lsn } = (await nodes.sql<{ lsn: string }>(a, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!;
    await nodes.until(
      'node_b has all of node_a',
      async () =>
        (await nodes.sql<{ ok: boolean }>(b, 'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok', [lsn]))[0]!.ok,
    );
    await nodes.kill(a);
    const forced = await runCli(['failover', '--primary-is-down', '--json'], b.env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((JSON.parse(forced.stdout) as { asynchronousUntilStandby: boolean }).asynchronousUntilStandby, true);
    await nodes.until(
      'node_b serves',
      async () => !(await nodes.inRecovery(b)) && b.process!.output().includes('Steadfast is running. Open'),
    );
    const alone = await insert(b, 2001);
    assert.equal(await settled(alone.done, 5000), true, 'the new primary commits with no standby');

    // node_a comes back, is fenced, follows node_b: synchronous commit is armed again.
    a.process = await startUp(a.env);
    await nodes.until(
      'node_a streams from node_b',
      async () => (await nodes.inRecovery(a)) && (await nodes.streaming(a)),
    );
    await nodes.until(
      'synchronous commit is back',
      async () =>
        (await nodes.sql<{ names: string }>(b, "SELECT current_setting('synchronous_standby_names') AS names"))[0]!
          .names === '*',
    );
    const rearmed = (await audit(b, 'replication.mode')).at(-1)!;
    assert.equal(rearmed.actor, 'system:steadfast');
    await a.process.stop();
    a.process = undefined;
    const waits = await insert(b, 2002);
    assert.equal(await settled(waits.done, 1500), false, 'with node_a gone again, commits wait for it');
    await waits.cancel();
    assert.deepEqual(nodes.bothPrimary, []);
  });
});
