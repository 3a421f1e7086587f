import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { registerProblemHandler } from './problem.js';
import { registerDatabaseRetry } from './retry.js';

/** A pg error as the driver raises it when the server goes away under a query. */
const adminShutdown = (): Error =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

const app = Fastify();
registerProblemHandler(app);
registerDatabaseRetry(app, 2);
const runs = new Map<string, number>();
/** Fails with a disconnect the first `failures` times it runs, then answers how often it ran. */
const flaky = (name: string, failures: number) => async () => {
  const count = (runs.get(name) ?? 0) + 1;
  runs.set(name, count);
  if (count <= failures) throw adminShutdown();
  return { runs: count };
};
app.get('/read', flaky('read', 3));
app.post('/write', { config: { repeatable: 'idempotency-key' } }, flaky('write', 1));
app.post('/plain', flaky('plain', 1));
app.put('/down', { config: { repeatable: 'always' } }, flaky('down', Number.MAX_SAFE_INTEGER));
app.get('/bug', flaky('bug', 0));
app.get('/wrong', async () => {
  throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
});
after(() => app.close());

test('a GET the database dropped under is run again until it answers', async () => {
  const response = await app.inject({ method: 'GET', url: '/read' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { runs: 4 });
});

test('a POST without an Idempotency-Key is not repeated: a 503 says it may or may not have been applied', async () => {
  runs.delete('write');
  const response = await app.inject({ method: 'POST', url: '/write' });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers['retry-after'], '5');
  assert.equal(response.json().code, 'DATABASE_UNAVAILABLE');
  assert.match(response.json().detail, /may or may not have been applied.*Idempotency-Key/);
  assert.equal(runs.get('write'), 1);
});

test('a POST with an Idempotency-Key is repeated on a route that writes once per key, and only there', async () => {
  runs.delete('write');
  const response = await app.inject({ method: 'POST', url: '/write', headers: { 'idempotency-key': 'k-1' } });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { runs: 2 });
  const elsewhere = await app.inject({ method: 'POST', url: '/plain', headers: { 'idempotency-key': 'k-2' } });
  assert.equal(elsewhere.statusCode, 503);
  assert.equal(runs.get('plain'), 1, 'a route that does not take keys is never run twice');
});

test('a database that stays away ends in a 503 with Retry-After once the wait is over (a route idempotent by construction)', async () => {
  const started = Date.now();
  const response = await app.inject({ method: 'PUT', url: '/down' });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers['retry-after'], '5');
  assert.match(response.json().detail, /No database primary answered in time/);
  assert.ok(Date.now() - started >= 1900, 'it waited for the configured 2 s');
  assert.ok((runs.get('down') ?? 0) > 2);
});

test('an error that is not the database going away is not retried', async () => {
  const response = await app.inject({ method: 'GET', url: '/wrong' });
  assert.equal(response.statusCode, 500);
  assert.equal(response.json().code, 'INTERNAL');
});
