import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { replicationHbaRules, steadfastConf, writeFileAtomic } from './data-dir.js';

test('settings are quoted as PostgreSQL parses them: quotes and backslashes doubled', () => {
  const conf = steadfastConf({
    port: 5432,
    primary_conninfo: "host='10.0.0.1' sslkey='/srv/o\\'brien/node.key'",
    archive_command: 'C:\\wal',
  });
  assert.match(conf, /^port = 5432$/m);
  assert.match(conf, /^primary_conninfo = 'host=''10\.0\.0\.1'' sslkey=''\/srv\/o\\\\''brien\/node\.key'''$/m);
  assert.match(conf, /^archive_command = 'C:\\\\wal'$/m);
});

test('replication is allowed only to the replication role, only from the peers, only over TLS with a certificate', () => {
  assert.equal(replicationHbaRules([], 'steadfast_replication'), '');
  const rules = replicationHbaRules(['10.0.0.2', '10.1.0.0/16', 'fd00::5'], 'steadfast_replication')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));
  assert.deepEqual(rules, [
    'hostssl replication  steadfast_replication  10.0.0.2/32  cert',
    'hostssl replication  steadfast_replication  10.1.0.0/16  cert',
    'hostssl replication  steadfast_replication  fd00::5/128  cert',
  ]);
});

test("a file written atomically (pg_hba.conf in a data directory) is staged under PostgreSQL's temporary prefix, which a base backup skips", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'steadfast-atomic-'));
  const seen = new Set<string>();
  const watcher = watch(dir, (_event, name) => name && seen.add(name));
  try {
    await writeFileAtomic(path.join(dir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 scram-sha-256\n');
    await sleep(50);
    assert.deepEqual(await readdir(dir), ['pg_hba.conf']);
    assert.equal(await readFile(path.join(dir, 'pg_hba.conf'), 'utf8'), 'host all all 127.0.0.1/32 scram-sha-256\n');
    const staged = [...seen].filter((name) => name !== 'pg_hba.conf');
    assert.ok(
      staged.length > 0 && staged.every((name) => name.startsWith('pgsql_tmp')),
      `staged as: ${[...seen].join(', ')}`,
    );
  } finally {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  }
});
