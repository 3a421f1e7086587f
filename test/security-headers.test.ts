import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

let platform: TestPlatform;
let app: FastifyInstance;
let slug: string;

before(async () => {
  platform = await createTestPlatform();
  app = await buildTestApp(platform);
  slug = (await buildTenant(platform)).slug;
});
after(async () => {
  await app.close();
  await platform.destroy();
});

test('every answer, errors and unknown hosts included, carries the security headers and a strict CSP', async () => {
  const answers = [
    await app.inject({ url: '/api/v1/tenant', headers: { host: hostOf(slug) } }),
    await app.inject({ url: '/api/v1/me', headers: { host: hostOf(slug) } }),
    await app.inject({ url: '/nowhere', headers: { host: hostOf(slug) } }),
    await app.inject({ url: '/api/v1/tenant', headers: { host: hostOf('nobody-here') } }),
  ];
  for (const answer of answers) {
    const what = `${answer.statusCode} ${answer.body.slice(0, 60)}`;
    const policy = String(answer.headers['content-security-policy']);
    assert.match(policy, /default-src 'self'/, what);
    assert.match(policy, /script-src 'self'(;|$)/, `${what}: no inline or remote script`);
    assert.match(policy, /frame-ancestors 'none'/, what);
    assert.match(policy, /object-src 'none'/, what);
    assert.equal(answer.headers['x-frame-options'], 'DENY', what);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', what);
    assert.equal(answer.headers['referrer-policy'], 'same-origin', what);
    assert.equal(answer.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    assert.ok(answer.headers['x-request-id'], what);
  }
});
