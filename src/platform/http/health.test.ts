import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerHealthRoutes } from './health.js';

test('concurrent /readyz requests share one check, and a later request runs a new one', async () => {
  let calls = 0;
  let release: () => void = () => undefined;
  const app = Fastify();
  registerHealthRoutes(
    app,
    [
      {
        name: 'db',
        check: () =>
          new Promise((resolve) => {
            calls++;
            release = () => resolve('ok');
          }),
      },
    ],
    'test',
  );
  const burst = Array.from({ length: 10 }, () => app.inject({ url: '/readyz' }));
  await new Promise((resolve) => setImmediate(resolve));
  release();
  const responses = await Promise.all(burst);
  assert.equal(calls, 1);
  assert.ok(responses.every((response) => response.statusCode === 200));
  const later = app.inject({ url: '/readyz' });
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await later;
  assert.equal(calls, 2);
  await app.close();
});

test('a failing check makes /readyz answer 503 with the reason and Retry-After', async () => {
  const app = Fastify();
  registerHealthRoutes(app, [{ name: 'db', check: () => Promise.reject(new Error('connection refused')) }], 'test');
  const response = await app.inject({ url: '/readyz' });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers['retry-after'], '5');
  assert.deepEqual(response.json(), {
    status: 'not_ready',
    checks: { db: { ok: false, status: 'connection refused' } },
  });
  await app.close();
});
