/**
 * The module contract, through the real HTTP app: a module's tenant API runs after the tenant
 * context and authentication, its zod schemas validate requests (one shape of problem) and make
 * the OpenAPI document, its platform routes answer on the platform's host only, and its
 * operator routes sit beside /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ModuleContext } from '../src/app/deps.js';
import { buildHttp } from '../src/app/http.js';
import { buildOperatorHttp, createMetrics } from '../src/app/metrics.js';
import { modules } from '../src/app/modules.js';
import { requireTenant } from '../src/modules/tenancy/index.js';
import { describeActor } from '../src/platform/actor.js';
import type { SteadfastModule } from '../src/platform/module.js';
import { buildTenant } from './helpers/factories.js';
import { hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/** A module of the kind identity, work and status will be: a token, an API route with a schema, a platform page, an operator route. */
const exampleModule: SteadfastModule<ModuleContext> = {
  name: 'example',
  authenticators: () => [
    (request) =>
      request.headers.authorization === 'Bearer example-token' ? { kind: 'service', name: 'example' } : undefined,
  ],
  tenantApi: (api) => {
    api.post(
      '/examples/:kind',
      {
        schema: {
          summary: 'Makes an example',
          params: z.object({ kind: z.enum(['small', 'large']) }),
          body: z.object({ title: z.string().min(3), size: z.number().int().positive() }).strict(),
          response: { 201: z.object({ tenant: z.string(), actor: z.string(), title: z.string() }) },
        },
      },
      async (request, reply) =>
        reply.status(201).send({
          tenant: requireTenant(request).slug,
          actor: describeActor(request.actor),
          title: request.body.title,
        }),
    );
  },
  platformRoutes: (app) => {
    app.get('/', async (request) => ({ page: 'the platform console', actor: describeActor(request.actor) }));
  },
  operatorRoutes: (app) => {
    app.get('/example', async () => ({ operator: true }));
  },
};

let platform: TestPlatform;
let app: FastifyInstance;

before(async () => {
  platform = await createTestPlatform({ drillWriteToken: 'drill-token-for-the-contract-test' });
  app = await buildHttp(platform, [...modules, exampleModule]);
  await app.ready();
});
after(async () => {
  await app.close();
  await platform.destroy();
});

describe('the tenant scope under /api/v1', () => {
  test("runs a module's route after the tenant context, with the actor an authenticator recognised", async () => {
    const tenant = await buildTenant(platform);
    const post = (authorization?: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/examples/small',
        headers: { host: hostOf(tenant.slug), ...(authorization ? { authorization } : {}) },
        payload: { title: 'first', size: 2 },
      });
    const known = await post('Bearer example-token');
    assert.equal(known.statusCode, 201);
    assert.deepEqual(known.json(), { tenant: tenant.slug, actor: 'service:example', title: 'first' });
    assert.equal((await post()).json().actor, 'anonymous');
    assert.equal((await post('Bearer someone-else')).json().actor, 'anonymous');
  });

  test('refuses an unknown workspace before any module route runs', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/examples/small',
      headers: { host: hostOf('nobody-here') },
      payload: {},
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'TENANT_NOT_FOUND');
  });

  test('answers a request its schemas refuse with one problem document naming every field and where it was', async () => {
    const tenant = await buildTenant(platform);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/examples/small',
      headers: { host: hostOf(tenant.slug) },
      payload: { title: 'no', size: -1, colour: 'red' },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
    const problem = response.json();
    assert.equal(problem.code, 'VALIDATION_FAILED');
    assert.match(problem.detail, /^The request is invalid: .*title: .*size: /);
    assert.deepEqual(problem.errors.map((issue: { in: string; path: string }) => `${issue.in}:${issue.path}`).sort(), [
      'body:',
      'body:size',
      'body:title',
    ]);
    const params = await app.inject({
      method: 'POST',
      url: '/api/v1/examples/huge',
      headers: { host: hostOf(tenant.slug) },
      payload: { title: 'fine', size: 1 },
    });
    assert.equal(params.statusCode, 400);
    assert.deepEqual(
      params.json().errors.map((issue: { in: string; path: string }) => `${issue.in}:${issue.path}`),
      ['params:kind'],
    );
  });
});

describe('the drill write route, a module route behind a token', () => {
  test('refuses a caller without the drill token before it looks at the body', async () => {
    const tenant = await buildTenant(platform);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/drill/writes',
      headers: { host: hostOf(tenant.slug) },
      payload: { sequence: 'x' },
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().code, 'UNAUTHENTICATED');
  });

  test('writes a sequence once: 201, then 200 for the same sequence, and 400 for a body that is not one', async () => {
    const tenant = await buildTenant(platform);
    const headers = { host: hostOf(tenant.slug), authorization: 'Bearer drill-token-for-the-contract-test' };
    const send = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/api/v1/drill/writes', headers, payload: payload as object });
    const first = await send({ sequence: 7 });
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().written, true);
    const again = await send({ sequence: 7 });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().written, false);
    const wrong = await send({ sequence: 0 });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.json().detail, /^The drill write request is invalid: sequence: /);
  });
});

describe('the OpenAPI document', () => {
  test("is readable as a page at /api/docs, on a workspace's address, without signing in", async () => {
    const tenant = await buildTenant(platform);
    const page = await app.inject({ url: '/api/docs/', headers: { host: hostOf(tenant.slug) } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /swagger-ui/);
    const initializer = await app.inject({
      url: '/api/docs/static/swagger-initializer.js',
      headers: { host: hostOf(tenant.slug) },
    });
    assert.equal(initializer.statusCode, 200);
    const document = await app.inject({ url: '/api/docs/json', headers: { host: hostOf(tenant.slug) } });
    assert.equal(document.statusCode, 200);
    assert.ok(document.json().paths['/api/v1/tasks'], 'the page reads the same document');
  });

  test("lists every route of the API (a workspace's and the staff console's) from the routes' own schemas, and nothing else", async () => {
    const response = await app.inject({ url: '/api/v1/openapi.json', headers: { host: 'localhost:8080' } });
    assert.equal(response.statusCode, 200);
    const document = response.json();
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/api/v1/audit',
      '/api/v1/audit.csv',
      '/api/v1/console/alerts',
      '/api/v1/console/alerts/channels',
      '/api/v1/console/alerts/channels/{id}',
      '/api/v1/console/alerts/channels/{id}/test',
      '/api/v1/console/alerts/rules',
      '/api/v1/console/alerts/rules/{id}',
      '/api/v1/console/audit',
      '/api/v1/console/grants',
      '/api/v1/console/grants/{id}',
      '/api/v1/console/grants/{id}/entry',
      '/api/v1/console/me',
      '/api/v1/console/session',
      '/api/v1/console/setup',
      '/api/v1/console/setup/open',
      '/api/v1/console/status/checks',
      '/api/v1/console/status/checks/{id}',
      '/api/v1/console/status/components',
      '/api/v1/console/status/components/{id}',
      '/api/v1/console/status/incidents',
      '/api/v1/console/status/incidents/{id}',
      '/api/v1/console/status/incidents/{id}/confirm',
      '/api/v1/console/status/incidents/{id}/updates',
      '/api/v1/console/status/locations',
      '/api/v1/console/status/locations/{name}',
      '/api/v1/console/status/maintenance',
      '/api/v1/console/status/maintenance/{id}/cancel',
      '/api/v1/console/status/maintenance/{id}/end',
      '/api/v1/console/status/reports/{month}',
      '/api/v1/console/status/reports/{month}/{tenant}',
      '/api/v1/console/status/uptime',
      '/api/v1/console/tenants',
      '/api/v1/drill/writes',
      '/api/v1/examples/{kind}',
      '/api/v1/invitations',
      '/api/v1/invitations/accept',
      '/api/v1/invitations/lookup',
      '/api/v1/invitations/{id}',
      '/api/v1/maintenance',
      '/api/v1/me',
      '/api/v1/me/passkeys',
      '/api/v1/me/passkeys/options',
      '/api/v1/me/passkeys/{id}',
      '/api/v1/me/password',
      '/api/v1/me/recovery-codes',
      '/api/v1/me/sessions',
      '/api/v1/me/sessions/{id}',
      '/api/v1/me/tokens',
      '/api/v1/me/tokens/{id}',
      '/api/v1/me/totp',
      '/api/v1/me/totp/confirm',
      '/api/v1/members',
      '/api/v1/members/{id}',
      '/api/v1/members/{id}/second-factors',
      '/api/v1/notifications',
      '/api/v1/notifications/read',
      '/api/v1/notifications/settings',
      '/api/v1/password-resets',
      '/api/v1/password-resets/complete',
      '/api/v1/probe/plan',
      '/api/v1/probe/reports',
      '/api/v1/projects',
      '/api/v1/projects/{project}',
      '/api/v1/projects/{project}/activity',
      '/api/v1/projects/{project}/events',
      '/api/v1/projects/{project}/fields',
      '/api/v1/projects/{project}/fields/{id}',
      '/api/v1/projects/{project}/labels',
      '/api/v1/projects/{project}/labels/{id}',
      '/api/v1/projects/{project}/members/{id}',
      '/api/v1/projects/{project}/rules',
      '/api/v1/projects/{project}/states',
      '/api/v1/projects/{project}/states/{id}',
      '/api/v1/projects/{project}/tasks',
      '/api/v1/projects/{project}/views',
      '/api/v1/projects/{project}/views/{id}',
      '/api/v1/security',
      '/api/v1/session',
      '/api/v1/session/passkey',
      '/api/v1/session/passkey-options',
      '/api/v1/session/second-factor',
      '/api/v1/session/second-factor/passkey-options',
      '/api/v1/support/grants',
      '/api/v1/support/grants/{id}',
      '/api/v1/support/grants/{id}/approve',
      '/api/v1/support/grants/{id}/deny',
      '/api/v1/support/session',
      '/api/v1/tasks',
      '/api/v1/tasks/{task}',
      '/api/v1/tasks/{task}/activity',
      '/api/v1/tasks/{task}/attachments',
      '/api/v1/tasks/{task}/attachments/{id}',
      '/api/v1/tasks/{task}/comments',
      '/api/v1/tasks/{task}/comments/{id}',
      '/api/v1/tasks/{task}/recurrence',
      '/api/v1/tasks/{task}/relations',
      '/api/v1/tasks/{task}/relations/{other}',
      '/api/v1/tenant',
    ]);
    assert.deepEqual(document.paths['/api/v1/console/tenants'].get.tags, ['console']);
    assert.deepEqual(Object.keys(document.paths['/api/v1/tenant'].get.responses), ['200']);
    const example = document.paths['/api/v1/examples/{kind}'].post;
    assert.deepEqual(example.requestBody.content['application/json'].schema.required.sort(), ['size', 'title']);
    assert.equal(example.parameters[0].name, 'kind');
  });
});

describe('the platform scope and the operator port', () => {
  test("serves a module's platform route on the platform's host, and the workspace's app on a tenant's host", async () => {
    const tenant = await buildTenant(platform, { name: 'Shadowed Not' });
    const console = await app.inject({ url: '/', headers: { host: 'localhost:8080' } });
    assert.deepEqual(console.json(), { page: 'the platform console', actor: 'anonymous' });
    const known = await app.inject({
      url: '/',
      headers: { host: 'localhost:8080', authorization: 'Bearer example-token' },
    });
    assert.equal(known.json().actor, 'service:example');
    const page = await app.inject({ url: '/', headers: { host: hostOf(tenant.slug), accept: 'text/html' } });
    assert.match(page.body, /<title>Shadowed Not · Steadfast<\/title>/, "the workspace's app, not the console");
  });

  test("registers a module's operator routes beside /metrics", async () => {
    const operator = await buildOperatorHttp(createMetrics(platform), platform, [exampleModule]);
    try {
      assert.deepEqual((await operator.inject({ url: '/example' })).json(), { operator: true });
      assert.equal((await operator.inject({ url: '/metrics' })).statusCode, 200);
    } finally {
      await operator.close();
    }
  });
});
