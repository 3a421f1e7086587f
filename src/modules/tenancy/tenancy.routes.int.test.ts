import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTenant, testOperator } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';

let platform: TestPlatform;
let app: FastifyInstance;

before(async () => {
  platform = await createTestPlatform();
  app = await buildTestApp(platform);
});
after(async () => {
  await app.close();
  await platform.destroy();
});

describe('routing by host', () => {
  test("serves the web app on a tenant's own host, named after that tenant, its files cached, never an API path", async () => {
    const tenant = await buildTenant(platform, { name: 'Acme <Rockets>' });
    for (const url of ['/', '/sign-in', '/account?tab=x']) {
      const response = await app.inject({ url, headers: { host: hostOf(tenant.slug), accept: 'text/html' } });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.headers['content-type'] as string, /text\/html/);
      assert.match(response.body, /<title>Acme &#60;Rockets&#62; · Steadfast<\/title>/);
      assert.equal(response.headers['cache-control'], 'no-cache');
      assert.match(response.headers['content-security-policy'] as string, /script-src 'self'(;|$)/);
    }
    const index = await app.inject({ url: '/', headers: { host: hostOf(tenant.slug), accept: 'text/html' } });
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)![1]!;
    const asset = await app.inject({ url: script, headers: { host: hostOf(tenant.slug) } });
    assert.equal(asset.statusCode, 200, JSON.stringify(asset.headers));
    assert.match(asset.headers['cache-control'] as string, /max-age=31536000, immutable/);
    const api = await app.inject({
      url: '/api/v1/nothing',
      headers: { host: hostOf(tenant.slug), accept: 'text/html' },
    });
    assert.equal(api.statusCode, 404);
    assert.doesNotMatch(api.body, /<div id="root">/);
  });

  test("answers each host with its own tenant and never another's", async () => {
    const a = await buildTenant(platform, { name: 'Alpha' });
    const b = await buildTenant(platform, { name: 'Beta' });
    for (const tenant of [a, b]) {
      const response = await app.inject({ url: '/api/v1/tenant', headers: { host: hostOf(tenant.slug) } });
      assert.deepEqual(response.json(), { slug: tenant.slug, name: tenant.name, status: 'active' });
    }
  });

  test('an unknown tenant gets a 404 problem document', async () => {
    const response = await app.inject({ url: '/api/v1/tenant', headers: { host: hostOf('nobody-here') } });
    assert.equal(response.statusCode, 404);
    assert.match(response.headers['content-type'] as string, /application\/problem\+json/);
    const problem = response.json();
    assert.equal(problem.code, 'TENANT_NOT_FOUND');
    assert.equal(problem.status, 404);
    assert.equal(problem.type, 'urn:steadfast:error:TENANT_NOT_FOUND');
    assert.match(problem.detail, /no workspace at "nobody-here"/);
    assert.equal(problem.requestId, response.headers['x-request-id']);
  });

  test('an unknown tenant gets a readable 404 page in a browser', async () => {
    const response = await app.inject({
      url: '/',
      headers: { host: hostOf('nobody-here'), accept: 'text/html,application/xhtml+xml' },
    });
    assert.equal(response.statusCode, 404);
    assert.match(response.body, /<h1>Tenant not found<\/h1>/);
  });

  test('a suspended tenant gets 423 with the reason, and its data is not served', async () => {
    const tenant = await buildTenant(platform);
    await platform.tenancy.suspend(testOperator, tenant.slug, 'billing overdue');
    const api = await app.inject({ url: '/api/v1/tenant', headers: { host: hostOf(tenant.slug) } });
    assert.equal(api.statusCode, 423);
    assert.equal(api.json().code, 'TENANT_SUSPENDED');
    assert.match(api.json().detail, /billing overdue/);
    const page = await app.inject({ url: '/', headers: { host: hostOf(tenant.slug), accept: 'text/html' } });
    assert.equal(page.statusCode, 423);
    assert.doesNotMatch(page.body, new RegExp(tenant.name));
  });

  test('the bare base domain is not a tenant', async () => {
    const response = await app.inject({ url: '/api/v1/tenant', headers: { host: 'localhost:8080' } });
    assert.equal(response.statusCode, 404);
    assert.match(response.json().detail, /does not name a workspace/);
  });

  test('an unknown route gets a 404 problem document', async () => {
    const tenant = await buildTenant(platform);
    const response = await app.inject({ url: '/api/v1/nothing', headers: { host: hostOf(tenant.slug) } });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'ROUTE_NOT_FOUND');
  });
});

describe('health', () => {
  test('/healthz says the process is alive on any host', async () => {
    const response = await app.inject({ url: '/healthz', headers: { host: 'anything.example' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().status, 'ok');
  });

  test('/readyz reports Postgres reachable and migrations current', async () => {
    const response = await app.inject({ url: '/readyz' });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.postgres.ok, true);
    assert.match(body.checks.postgres.status, /^reachable, migrations current/);
  });

  test('/readyz answers 503 when the platform schema is behind this build', async () => {
    await platform.db.deleteFrom('kysely_migration' as never).execute();
    try {
      const response = await app.inject({ url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().checks.postgres.ok, false);
      assert.match(response.json().checks.postgres.status, /steadfast migrate/);
    } finally {
      await platform.db
        .insertInto('kysely_migration' as never)
        .values({ name: '20261124220000-initial', timestamp: new Date().toISOString() } as never)
        .execute();
    }
  });
});
