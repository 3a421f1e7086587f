import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replicationHbaRules, steadfastConf } from './data-dir.js';

test('settings are quoted as PostgreSQL parses them: quotes and backslashes doubled', () => {
  const conf = steadfastConf({ port: 5432, primary_conninfo: "host='10.0.0.1' sslkey='/srv/o\\'brien/node.key'", archive_command: 'C:\\wal' });
  assert.match(conf, /^port = 5432$/m);
  assert.match(conf, /^primary_conninfo = 'host=''10\.0\.0\.1'' sslkey=''\/srv\/o\\\\''brien\/node\.key'''$/m);
  assert.match(conf, /^archive_command = 'C:\\\\wal'$/m);
});

test('replication is allowed only to the replication role, only from the peers, only over TLS with a certificate', () => {
  assert.equal(replicationHbaRules([], 'steadfast_replication'), '');
  const rules = replicationHbaRules(['10.0.0.2', '10.1.0.0/16', 'fd00::5'], 'steadfast_replication').split('\n').filter((line) => line && !line.startsWith('#'));
  assert.deepEqual(rules, ['hostssl replication  steadfast_replication  10.0.0.2/32  cert', 'hostssl replication  steadfast_replication  10.1.0.0/16  cert', 'hostssl replication  steadfast_replication  fd00::5/128  cert']);
});
