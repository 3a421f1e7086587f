import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { attachRunning } from '../src/platform/postgres/embedded.js';
import { callNode, replicationRole, tlsPaths } from '../src/modules/replication/index.js';
import { createCertificateAuthority, issueNodeCertificate } from '../src/platform/crypto/certs.js';
import { withClient } from '../src/platform/db/connect.js';
import { readControlFile } from '../src/platform/postgres/control-file.js';
import { runCli, startUp } from './helpers/cli.js';
import { TwoNodes, type TestNode } from './helpers/nodes.js';

/**
 * Two nodes as `steadfast up` runs them (separate processes, on loopback): a failover with the
 * old primary reachable (fenced first, nothing lost, it follows the new primary on its own
 * data), and one after the primary was killed (refused without the operator's word; on its
 * return the old primary finds the new one and never starts as a primary). Throughout, a
 * watcher asks both servers whether they are primary: two at once fails the test.
 */
const nodes = new TwoNodes();
let a: TestNode;
let b: TestNode;
const sql = <R extends Record<string, unknown>>(node: TestNode, text: string, values: unknown[] = []): Promise<R[]> =>
  nodes.sql<R>(node, text, values);
const until = (what: string, check: () => Promise<boolean>): Promise<void> => nodes.until(what, check);
const inRecovery = (node: TestNode): Promise<boolean> => nodes.inRecovery(node);
const rows = (node: TestNode): Promise<number> => nodes.rows(node);
const streamingFrom = (node: TestNode): Promise<boolean> => nodes.streaming(node);
const bothPrimary = nodes.bothPrimary;

before(async () => {
  await nodes.start();
  ({ a, b } = nodes);
  assert.match(b.process!.output(), /running as a standby/);
});

after(() => nodes.stop());

describe('failover between two nodes', () => {
  test("the control API admits only node certificates of this installation's CA", async () => {
    const address = { host: '127.0.0.1', port: Number(a.env.STEADFAST_NODE_CONTROL_PORT) };
    const ours = tlsPaths(a.home);
    const report = await callNode<{ name: string; role: string; timeline: number }>(ours, address, 'GET', '/v1/node');
    assert.equal(report.name, 'node_a');
    assert.equal(report.role, 'primary');
    assert.equal(report.timeline, 1);

    const dir = path.join(nodes.rootDir, 'intruders');
    await mkdir(dir);
    const write = async (
      name: string,
      pair: { certificate: string; privateKey: string },
    ): Promise<{ ca: string; cert: string; key: string }> => {
      await writeFile(path.join(dir, `${name}.crt`), pair.certificate);
      await writeFile(path.join(dir, `${name}.key`), pair.privateKey);
      return { ca: ours.ca, cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
    };
    const foreignCa = await createCertificateAuthority('someone else');
    const foreign = await write(
      'foreign',
      await issueNodeCertificate(foreignCa, { commonName: replicationRole, addresses: ['127.0.0.1'] }),
    );
    await assert.rejects(
      callNode(foreign, address, 'POST', '/v1/fence', { by: 'x', postgresPort: 1, controlPort: 1, reason: 'x' }),
      /Cannot reach the node control API.*(unknown ca|socket hang up|ECONNRESET)/,
    );
    const ourCa = { certificate: await readFile(ours.ca, 'utf8'), privateKey: await readFile(ours.caKey, 'utf8') };
    const otherName = await write(
      'other-name',
      await issueNodeCertificate(ourCa, { commonName: 'not_a_node', addresses: ['127.0.0.1'] }),
    );
    await assert.rejects(
      callNode(otherName, address, 'POST', '/v1/fence', { by: 'x', postgresPort: 1, controlPort: 1, reason: 'x' }),
      /answered 403: Only the nodes of this cluster/,
    );
    await assert.rejects(
      callNode(ours, address, 'POST', '/v1/fence', { by: 'x' }),
      /answered 400: The fence request is invalid/,
    );
    assert.equal(await inRecovery(a), false, 'none of them fenced it');
  });

  test('with the primary reachable: it is fenced first, nothing is lost, and it follows the new primary without a new copy', async () => {
    await sql(a, "INSERT INTO ledger SELECT g, 'just before' FROM generate_series(101, 200) g");
    const result = await runCli(['failover', '--json'], b.env);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      timeline: number;
      oldPrimary: { fencing: string };
      caughtUp: boolean;
      missingBytes: number;
    };
    assert.equal(report.oldPrimary.fencing, 'stood down');
    assert.equal(report.caughtUp, true);
    assert.equal(report.missingBytes, 0);
    assert.equal(report.timeline, 2);
    assert.equal(await inRecovery(b), false, 'node_b is the primary');
    assert.equal(await rows(b), 200, 'every row the old primary had is on the new one');
    // A second node taking over as well would make two primaries on one timeline: refused.
    await assert.rejects(
      callNode(
        tlsPaths(b.home),
        { host: '127.0.0.1', port: Number(a.env.STEADFAST_NODE_CONTROL_PORT) },
        'POST',
        '/v1/fence',
        { by: 'node_c', postgresPort: 1, controlPort: 1, reason: 'a second failover' },
      ),
      /answered 409: node_a (was already fenced by node_b|is a standby)/,
    );
    await until('node_b serves tenants', async () => b.process!.output().includes('Steadfast is running. Open'));

    // node_a stood down and follows node_b, on its own data directory.
    await until('node_a follows node_b', async () => (await inRecovery(a)) && (await streamingFrom(a)));
    assert.match(a.process!.output(), /This node is fenced: node_b took over/);
    await sql(b, "INSERT INTO ledger SELECT g, 'on the new primary' FROM generate_series(201, 300) g");
    await until('node_a has the rows written on node_b', async () => (await rows(a)) === 300);
    const onStandby = await runCli(['tenant', 'create', 'acme', '--name', 'Acme'], a.env);
    assert.notEqual(onStandby.code, 0);
    assert.match(
      onStandby.stderr,
      /This node is a standby \(it follows 127\.0\.0\.1:\d+\): its database is read-only.*Run it on the primary/,
    );
    const audit = await withClient(
      (await attachRunning(b.config))!.admin,
      async (client) =>
        (
          await client.query<{ action: string; detail: { oldPrimary: { fencing: string } } }>(
            "SELECT action, detail FROM platform_audit WHERE action = 'replication.failover'",
          )
        ).rows,
    );
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.detail.oldPrimary.fencing, 'stood down');
    assert.deepEqual(bothPrimary, [], 'never two primaries at once');
  });

  test("with the primary killed: refused without the operator's word; the old primary, back, is fenced and follows", async () => {
    // node_b is the primary now, node_a its standby. node_a has everything when node_b dies.
    await sql(b, "INSERT INTO ledger SELECT g, 'before the crash' FROM generate_series(301, 400) g");
    const { lsn } = (await sql<{ lsn: string }>(b, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!;
    await until(
      'node_a replayed all of node_b',
      async () => (await sql<{ ok: boolean }>(a, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]))[0]!.ok,
    );
    await nodes.kill(b);
    const control = await readControlFile(b.dataDir);
    assert.equal(control.state, 'in production', 'pg_control says it did not stop cleanly');
    assert.equal(
      control.systemIdentifier,
      (await sql<{ id: string }>(a, 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0]!.id,
    );
    b.process = undefined;

    const refused = await runCli(['failover'], a.env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /could not be fenced, so this node was not promoted/);
    assert.equal(await inRecovery(a), true, 'not promoted');

    const forced = await runCli(['failover', '--primary-is-down', '--json'], a.env);
    assert.equal(forced.code, 0, forced.stderr);
    const report = JSON.parse(forced.stdout) as {
      timeline: number;
      oldPrimary: { fencing: string };
      caughtUp: boolean | null;
    };
    assert.equal(report.oldPrimary.fencing, 'declared down');
    assert.equal(report.caughtUp, null);
    assert.equal(report.timeline, 3);
    await until(
      'node_a serves tenants',
      async () => !(await inRecovery(a)) && a.process!.output().includes('Steadfast is running. Open'),
    );
    await sql(a, "INSERT INTO ledger SELECT g, 'after the failover' FROM generate_series(401, 500) g");

    // node_b comes back: it asks its peer before starting, finds it primary on a later timeline, and follows it.
    b.process = await startUp(b.env);
    assert.match(b.process.output(), /fenced/);
    assert.equal(await inRecovery(b), true, 'the old primary came back as a standby');
    await until('node_b has the rows written on node_a', async () => (await rows(b)) === 500);
    assert.deepEqual(bothPrimary, [], 'never two primaries at once');
  });

  test('switchover back and forth ten times under a write load: no acknowledged write lost, never two primaries', async () => {
    // node_a is the primary now (the last failover), node_b its standby.
    await until('node_b streams from node_a', async () => (await inRecovery(b)) && (await streamingFrom(b)));
    const acknowledged: number[] = [];
    let writing = true;
    let nextId = 10_000;
    const writer = (async () => {
      const clients = new Map<TestNode, pg.Client>();
      while (writing) {
        const id = nextId;
        for (const node of [a, b]) {
          try {
            let client = clients.get(node);
            if (!client) {
              const running = await attachRunning(node.config);
              if (!running) continue;
              client = new pg.Client({ ...running.admin, database: 'postgres', connectionTimeoutMillis: 1000 });
              client.on('error', () => clients.delete(node));
              await client.connect();
              clients.set(node, client);
            }
            // A commit whose answer was lost may be retried on the other node: the id makes it once.
            await client.query("INSERT INTO ledger VALUES ($1, 'load') ON CONFLICT (id) DO NOTHING", [id]);
            acknowledged.push(id);
            nextId++;
            break;
          } catch {
            await clients
              .get(node)
              ?.end()
              .catch(() => undefined);
            clients.delete(node);
          }
        }
        await sleep(5);
      }
      await Promise.all([...clients.values()].map((client) => client.end().catch(() => undefined)));
    })();

    let [primary, standby] = [a, b];
    for (let round = 1; round <= 10; round++) {
      const result = await runCli(['switchover', '--json'], standby.env);
      assert.equal(result.code, 0, `round ${round}: ${result.stderr}`);
      const report = JSON.parse(result.stdout) as { caughtUp: boolean; oldPrimary: { fencing: string } };
      assert.equal(report.caughtUp, true, `round ${round}: the new primary had everything`);
      [primary, standby] = [standby, primary];
      await until(
        `round ${round}: ${standby.name} follows ${primary.name}`,
        async () => !(await inRecovery(primary)) && (await inRecovery(standby)) && (await streamingFrom(standby)),
      );
    }
    const ackedBeforeStop = acknowledged.length;
    await sleep(300);
    writing = false;
    await writer;
    assert.ok(
      ackedBeforeStop > 200 && acknowledged.length > ackedBeforeStop,
      `writes went on through the switchovers (${acknowledged.length} acknowledged)`,
    );
    const present = new Set(
      (await sql<{ id: number }>(primary, 'SELECT id FROM ledger WHERE id >= 10000')).map((row) => row.id),
    );
    assert.deepEqual(
      acknowledged.filter((id) => !present.has(id)),
      [],
      'every acknowledged write is on the final primary',
    );
    await until(
      'the standby has them too',
      async () =>
        (await sql<{ n: number }>(standby, 'SELECT count(*)::int AS n FROM ledger WHERE id >= 10000'))[0]!.n ===
        present.size,
    );
    assert.deepEqual(bothPrimary, [], 'never two primaries at once');
  });
});
