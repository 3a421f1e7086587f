import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTransientDatabaseError, appError } from '../errors.js';
import { parseDatabaseUrl, toUrl } from './connect.js';

test('a URL with one host has no host list', () => {
  const target = parseDatabaseUrl('postgres://app:s%40cret@db.example.com:6432/steadfast');
  assert.deepEqual(
    { ...target, ssl: undefined },
    { host: 'db.example.com', port: 6432, user: 'app', password: 's@cret', database: 'steadfast', ssl: undefined },
  );
});

test("libpq's host list names every server of the cluster, the default port where none is given", () => {
  const target = parseDatabaseUrl(
    'postgresql://app:pw@db1:5433,db2,[fd00::2]:5434/steadfast?target_session_attrs=read-write',
  );
  assert.equal(target.host, 'db1');
  assert.equal(target.port, 5433);
  assert.deepEqual(target.hosts, [
    { host: 'db1', port: 5433 },
    { host: 'db2', port: 5432 },
    { host: 'fd00::2', port: 5434 },
  ]);
  assert.equal(target.database, 'steadfast');
  assert.equal(toUrl(target), 'postgres://app:pw@db1:5433,db2:5432,[fd00::2]:5434/steadfast');
});

test('a host list entry that is not host:port is refused, saying how to write one', () => {
  assert.throws(
    () => parseDatabaseUrl('postgres://app:pw@db1:5432,db2:port/steadfast'),
    /Host 2 of 2 in DATABASE_URL is not host or host:port.*like db1:5432,db2:5432/,
  );
  assert.throws(() => parseDatabaseUrl('mysql://app@db/steadfast'), /must be a postgres:\/\/ URL/);
});

test('an @ left unencoded in the password still splits at the last @; an error never repeats the password', () => {
  const target = parseDatabaseUrl('postgres://app:p@ss@db1:5432/steadfast');
  assert.deepEqual([target.host, target.user, target.password], ['db1', 'app', 'p@ss']);
  for (const url of ['postgres://app:se/cret@db/steadfast', 'postgres://app:se#cret@db/steadfast']) {
    assert.throws(
      () => parseDatabaseUrl(url),
      (error: Error) => !error.message.includes('cret') && /Percent-encode @ \/ \? #/.test(error.message),
      url,
    );
  }
});

test('a Unix socket given as ?host= is one host, as pg reads it', () => {
  const target = parseDatabaseUrl('postgres:///steadfast?host=/run/postgresql&user=app');
  assert.deepEqual(
    [target.host, target.user, target.database, target.hosts],
    ['/run/postgresql', 'app', 'steadfast', undefined],
  );
});

test('the errors of a failover are transient; a wrong password or a bug is not', () => {
  const pg = (code: string) => Object.assign(new Error(code), { code });
  for (const code of ['57P01', '25006', '08006', 'ECONNREFUSED'])
    assert.equal(isTransientDatabaseError(pg(code)), true, code);
  assert.equal(isTransientDatabaseError(new Error('Connection terminated unexpectedly')), true);
  for (const code of ['28P01', '23505', '42P01']) assert.equal(isTransientDatabaseError(pg(code)), false, code);
  // A full pool is overload, not a failover: repeating the work would only add to it.
  assert.equal(isTransientDatabaseError(new Error('timeout exceeded when trying to connect')), false);
  assert.equal(
    isTransientDatabaseError(appError('DATABASE_UNAVAILABLE', 'no primary', { extensions: { retryable: true } })),
    true,
  );
  assert.equal(isTransientDatabaseError(appError('DATABASE_UNAVAILABLE', 'all pools busy')), false);
});
