import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import type { TenantView } from '../tenancy/index.js';

const password = 'correct horse battery staple 42';
const inside = '203.0.113.5';
const outside = '198.51.100.7';

interface Setup {
  platform: TestPlatform;
  app: FastifyInstance;
  tenant: TenantView;
  owner: { cookie: string; csrf: string };
}

/** A platform with a workspace and its owner signed in from 127.0.0.1 (inject's address). */
async function setUp(config: Record<string, unknown> = {}): Promise<Setup> {
  const platform = await createTestPlatform({ signInRateLimitPerMinute: 1000, ...config });
  const app = await buildTestApp(platform);
  const tenant = await buildTenant(platform);
  await platform.identity.createUser(
    tenant.slug,
    { email: 'owner@example.com', name: 'Olive Owner', role: 'owner', password },
    { actor: 'operator:test' },
  );
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(tenant.slug) },
    payload: { email: 'owner@example.com', password },
  });
  const cookie = response.cookies.find((c) => c.name === 'steadfast_session')!;
  return {
    platform,
    app,
    tenant,
    owner: { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken },
  };
}

function request(setup: Setup, options: InjectOptions & { signedIn?: boolean }) {
  const headers: Record<string, string> = { host: hostOf(setup.tenant.slug), ...(options.headers as object) };
  if (options.signedIn) Object.assign(headers, { cookie: setup.owner.cookie, 'x-csrf-token': setup.owner.csrf });
  return setup.app.inject({ ...options, headers });
}

const saveList = (setup: Setup, body: Record<string, unknown>) =>
  request(setup, { method: 'PATCH', url: '/api/v1/security', signedIn: true, payload: body });

describe('a workspace IP allow-list', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp();
  });
  after(async () => {
    await setup.app.close();
    await setup.platform.destroy();
  });

  test('refuses entries that are not addresses or blocks, naming the rule', async () => {
    const response = await saveList(setup, { ipAllowList: ['10.0.0.0/8', 'office'] });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CIDR block, like 203.0.113.0\/24/);
  });

  test('a list without the saving admin’s own address needs an explicit confirmation', async () => {
    const refused = await saveList(setup, { ipAllowList: ['203.0.113.0/24'] });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().code, 'CONFIRMATION_REQUIRED');
    assert.match(refused.json().detail, /Your own address \(127\.0\.0\.1\) is not on this list/);
    assert.deepEqual((await request(setup, { url: '/api/v1/security', signedIn: true })).json().ipAllowList, []);

    const saved = await saveList(setup, { ipAllowList: ['203.0.113.0/24', '127.0.0.1', '127.0.0.1/32'] });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual(saved.json().ipAllowList, ['203.0.113.0/24', '127.0.0.1/32']);
    const [entry] = await setup.platform.identity.auditEntries(setup.tenant.slug, { action: 'security.', limit: 1 });
    assert.deepEqual(entry!.detail, { added: ['203.0.113.0/24', '127.0.0.1/32'], removed: [], entries: 2 });
  });

  test('an address outside the list reaches neither the app nor the API, signed in or not; one inside does', async () => {
    for (const url of ['/', '/api/v1/tenant', '/api/v1/me']) {
      const refused = await request(setup, { url, remoteAddress: outside, signedIn: true });
      assert.equal(refused.statusCode, 403, url);
      assert.match(refused.body, /198\.51\.100\.7 is not one of them/);
    }
    const signIn = await request(setup, {
      method: 'POST',
      url: '/api/v1/session',
      remoteAddress: outside,
      payload: { email: 'owner@example.com', password },
    });
    assert.equal(signIn.statusCode, 403);
    assert.equal(signIn.json().code, 'IP_NOT_ALLOWED');
    assert.equal((await request(setup, { url: '/api/v1/tenant', remoteAddress: inside })).statusCode, 200);
    assert.equal((await request(setup, { url: '/api/v1/tenant', remoteAddress: `::ffff:${inside}` })).statusCode, 200);
  });

  test('X-Forwarded-For from an untrusted address is ignored', async () => {
    const spoofed = await request(setup, {
      url: '/api/v1/tenant',
      remoteAddress: outside,
      headers: { 'x-forwarded-for': inside },
    });
    assert.equal(spoofed.statusCode, 403);
  });

  test('emptying the list lets every address in again', async () => {
    assert.equal((await saveList(setup, { ipAllowList: [] })).statusCode, 200);
    assert.equal((await request(setup, { url: '/api/v1/tenant', remoteAddress: outside })).statusCode, 200);
  });
});

describe('behind a trusted proxy', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp({ trustedProxies: ['198.51.100.0/24'] });
    assert.equal((await saveList(setup, { ipAllowList: ['203.0.113.0/24', '127.0.0.1'] })).statusCode, 200);
  });
  after(async () => {
    await setup.app.close();
    await setup.platform.destroy();
  });

  test('the client is the address the proxy reports, whether inside the list or not', async () => {
    const through = (client: string) =>
      request(setup, { url: '/api/v1/tenant', remoteAddress: '198.51.100.1', headers: { 'x-forwarded-for': client } });
    assert.equal((await through(inside)).statusCode, 200);
    const refused = await through('192.0.2.44');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /192\.0\.2\.44 is not one of them/);
  });
});
