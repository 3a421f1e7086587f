import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../platform/config/config.js';
import { AppError } from '../../platform/errors.js';
import { readFenced, writeFenced } from './replication.fencing.js';
import { controlAddressOf, controlHost, parseNodeAddress, peerControlAddresses } from './replication.peers.js';
import { divergedCopies, divergedCopyName } from './replication.rejoin.js';

const configWith = (overrides: Record<string, unknown>) =>
  loadConfig({ env: {}, cwd: tmpdir(), overrides: { home: '/tmp/x', ...overrides } });

test('node addresses: host or host:port, IPv6 in brackets, the default control port otherwise', () => {
  assert.deepEqual(parseNodeAddress('10.0.0.2'), { host: '10.0.0.2', port: 7433 });
  assert.deepEqual(parseNodeAddress('db-2.example.net:9000'), { host: 'db-2.example.net', port: 9000 });
  assert.deepEqual(parseNodeAddress('[fd00::2]:7500'), { host: 'fd00::2', port: 7500 });
});

test('clusterNodes is checked as the configuration is read', () => {
  assert.deepEqual(configWith({ clusterNodes: '10.0.0.2, 10.0.0.3:7500' }).clusterNodes, ['10.0.0.2', '10.0.0.3:7500']);
  assert.throws(() => configWith({ clusterNodes: 'http://10.0.0.2' }), /clusterNodes.*host or host:port/s);
});

test("the peers asked: clusterNodes, and a standby's primary at the default port unless clusterNodes names it", () => {
  const standby = { primary: { host: '10.0.0.1', port: 54329 }, slot: 'steadfast_b', joinedAt: '' };
  assert.deepEqual(peerControlAddresses(configWith({ clusterNodes: '10.0.0.3' }), standby), [
    { host: '10.0.0.3', port: 7433 },
    { host: '10.0.0.1', port: 7433 },
  ]);
  assert.deepEqual(peerControlAddresses(configWith({ clusterNodes: '10.0.0.1:7500' }), standby), [
    { host: '10.0.0.1', port: 7500 },
  ]);
  assert.deepEqual(controlAddressOf(configWith({ clusterNodes: '10.0.0.1:7500' }), '10.0.0.1'), {
    host: '10.0.0.1',
    port: 7500,
  });
  assert.deepEqual(controlAddressOf(configWith({}), '10.0.0.9'), { host: '10.0.0.9', port: 7433 });
});

test('the control API listens on the replication network by default, never on every address unless PostgreSQL does', () => {
  assert.equal(controlHost(configWith({})), '127.0.0.1');
  assert.equal(controlHost(configWith({ postgresListenAddresses: '127.0.0.1,10.0.0.1' })), '10.0.0.1');
  assert.equal(controlHost(configWith({ postgresListenAddresses: '*' })), '0.0.0.0');
  assert.equal(
    controlHost(configWith({ postgresListenAddresses: '127.0.0.1,10.0.0.1', nodeControlHost: '10.0.0.5' })),
    '10.0.0.5',
  );
});

test('the fenced mark survives as written, and a damaged one still fences', async () => {
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-fenced-'));
  try {
    assert.equal(await readFenced(home), undefined);
    const mark = {
      by: 'node_b',
      host: '10.0.0.2',
      postgresPort: 54329,
      controlPort: 7433,
      reason: 'failover',
      at: '2026-12-01T00:00:00.000Z',
      timeline: 1,
    };
    await writeFenced(home, mark);
    assert.deepEqual(await readFenced(home), mark);
    await writeFile(path.join(home, 'fenced.json'), '{"by": "node_b", ');
    await assert.rejects(
      readFenced(home),
      (error: unknown) =>
        error instanceof AppError && error.code === 'NODE_FENCED' && /will not start as a primary/.test(error.message),
    );
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('the data directories kept after a divergence are found beside the data directory, oldest first, and nothing else', async () => {
  const parent = await mkdtemp(path.join(tmpdir(), 'steadfast-kept-'));
  try {
    const dataDir = path.join(parent, 'data');
    assert.deepEqual(await divergedCopies(dataDir), []);
    const later = divergedCopyName(dataDir, '2026-12-02T10:00:00.000Z');
    const earlier = divergedCopyName(dataDir, '2026-12-01T10:00:00.000Z');
    for (const dir of [dataDir, later, earlier, `${dataDir}.joining`, path.join(parent, 'other.diverged-x')])
      await mkdir(dir);
    assert.deepEqual(await divergedCopies(dataDir), [earlier, later]);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
