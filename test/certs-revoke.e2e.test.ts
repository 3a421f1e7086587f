import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { askNode, nodeTls, tlsPaths } from '../src/modules/replication/index.js';
import { runCli, startUp } from './helpers/cli.js';
import { TwoNodes } from './helpers/nodes.js';

/**
 * A node certificate taken back: the CA's holder (node_a) revokes node_b's certificate; once
 * node_a runs with the list, node_b can neither replicate from it nor reach its control API,
 * while node_a's own certificate still works.
 */
const nodes = new TwoNodes();
before(() => nodes.start());
after(() => nodes.stop());

test('steadfast certs revoke: the node holding the list refuses the revoked certificate on the replication channel and the control API', async () => {
  const { a, b } = nodes;
  const bCertificate = tlsPaths(b.home).cert;
  const shown = JSON.parse((await runCli(['certs', 'show', '--json'], b.env)).stdout) as {
    node: { serialNumber: string; revoked: boolean };
  };
  assert.equal(shown.node.revoked, false);

  const refused = await runCli(['certs', 'revoke', bCertificate, '--reason', 'test'], b.env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /No CA in .*revoke on the machine that holds the CA/);

  const revoked = await runCli(['certs', 'revoke', bCertificate, '--reason', 'machine retired', '--json'], a.env);
  assert.equal(revoked.code, 0, revoked.stderr);
  const result = JSON.parse(revoked.stdout) as {
    crl: string;
    revoked: { serialNumber: string; addresses: string[] };
    already: boolean;
    total: number;
  };
  assert.deepEqual([result.revoked.serialNumber, result.already, result.total], [shown.node.serialNumber, false, 1]);
  const again = JSON.parse(
    (await runCli(['certs', 'revoke', shown.node.serialNumber, '--reason', 'twice', '--json'], a.env)).stdout,
  ) as { already: boolean; total: number };
  assert.deepEqual([again.already, again.total], [true, 1], 'revoking twice changes nothing');

  // Before node_a restarts with the list, node_b still gets in: the list takes effect at a node's start.
  const bTls = (await nodeTls(b.home))!;
  const control = { host: '127.0.0.1', port: a.config.nodeControlPort };
  assert.equal((await askNode(bTls, control)).name, 'node_a');

  await a.process!.stop();
  a.process = await startUp(a.env);
  await assert.rejects(askNode(bTls, control), "node_a refuses node_b's certificate in the handshake");
  assert.equal(
    (await askNode((await nodeTls(a.home))!, control)).name,
    'node_a',
    "node_a's own certificate still works",
  );
  // node_b's WAL receiver keeps trying; node_a refuses it each time.
  await sleep(8000);
  assert.equal(await nodes.streaming(b), false, 'node_b cannot replicate with a revoked certificate');
  assert.match(b.process!.output(), /certificate revoked/, 'and its log says why');

  // The same list on node_b: it says its own certificate is revoked.
  await copyFile(result.crl, path.join(tlsPaths(b.home).dir, 'ca.crl'));
  const after = JSON.parse((await runCli(['certs', 'show', '--json'], b.env)).stdout) as {
    node: { revoked: boolean };
    revokedSerials: string[];
  };
  assert.equal(after.node.revoked, true);
  assert.deepEqual(after.revokedSerials, [shown.node.serialNumber]);
});
