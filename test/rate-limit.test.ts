import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { pruneRateLimits, SharedRateCounts } from '../src/platform/http/rate-limit.js';

let platform: TestPlatform;
let apps: FastifyInstance[];
let acme: TenantView;

before(async () => {
  platform = await createTestPlatform({ rateLimitPerMinute: 6, signInRateLimitPerMinute: 3 });
  // Two servers on one platform database, as two `steadfast serve` processes are.
  apps = [await buildTestApp(platform), await buildTestApp(platform)];
  acme = await buildTenant(platform);
});
after(async () => {
  for (const app of apps) await app.close();
  await platform.destroy();
});

const get = (server: number, remoteAddress: string) =>
  apps[server]!.inject({ url: '/api/v1/tenant', headers: { host: hostOf(acme.slug) }, remoteAddress });

test('an address over the limit gets a 429 problem with Retry-After and RateLimit headers, counted across servers; other addresses do not', async () => {
  for (let request = 1; request <= 6; request++) {
    const response = await get(request % 2, '10.0.0.1');
    assert.equal(response.statusCode, 200, `request ${request}`);
    assert.equal(response.headers['ratelimit-limit'], '6');
    assert.equal(response.headers['ratelimit-remaining'], String(6 - request));
  }
  const refused = await get(0, '10.0.0.1');
  assert.equal(refused.statusCode, 429);
  assert.match(refused.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(refused.json().code, 'TOO_MANY_ATTEMPTS');
  assert.match(refused.json().detail, /^Too many requests from your address\. Try again in \d+ s\.$/);
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal((await get(1, '10.0.0.2')).statusCode, 200, 'another address has its own count');
});

test('sign-in has a stricter limit of its own, whatever the account, and the refusal comes before any password is checked', async () => {
  const signIn = (email: string) =>
    apps[0]!.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { host: hostOf(acme.slug) },
      remoteAddress: '10.0.0.3',
      payload: { email, password: 'not a password anyone has' },
    });
  for (const email of ['a@example.com', 'b@example.com', 'c@example.com'])
    assert.equal((await signIn(email)).statusCode, 401);
  const refused = await signIn('d@example.com');
  assert.equal(refused.statusCode, 429);
  const failures = await platform.tenancy.withDatabase(acme.slug, (db) =>
    db.withTables<{ sign_in_failures: { email: string } }>().selectFrom('sign_in_failures').select('email').execute(),
  );
  assert.deepEqual(failures.map((row) => row.email).sort(), ['a@example.com', 'b@example.com', 'c@example.com']);
});

test('a flood of wrong API tokens is limited like any request', async () => {
  let last = 0;
  for (let request = 1; request <= 7; request++) {
    const response = await apps[1]!.inject({
      url: '/api/v1/me',
      headers: { host: hostOf(acme.slug), authorization: `Bearer sft_${'x'.repeat(43)}` },
      remoteAddress: '10.0.0.4',
    });
    last = response.statusCode;
  }
  assert.equal(last, 429);
});

test('counts of windows that are over are pruned', async () => {
  await platform.db
    .updateTable('rate_limits')
    .set({ resets_at: new Date(Date.now() - 1000) })
    .where('key', 'like', '%10.0.0.2%')
    .execute();
  assert.ok((await pruneRateLimits(platform.db)) >= 1);
  const left = await platform.db.selectFrom('rate_limits').select('key').execute();
  assert.ok(left.every((row) => !row.key.includes('10.0.0.2')));
});

test('hits of one address arriving together are counted in batches, each in its own place: two processes let through exactly the limit', async () => {
  const statements = { count: 0 };
  // Two processes' counts on the one platform database, each counting the statements it sends.
  const counting = {
    query: (...args: Parameters<typeof platform.pool.query>) => {
      statements.count++;
      return (platform.pool.query as (...a: unknown[]) => unknown)(...args);
    },
  } as unknown as typeof platform.pool;
  const processes = [new SharedRateCounts(counting), new SharedRateCounts(counting)];
  const places: number[] = [];
  for (let round = 0; round < 30; round++) {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => processes[i % 2]!.incr('batch|10.0.0.9', 60_000)),
    );
    for (const answer of answers) {
      assert.ok(answer.ttl > 0 && answer.ttl <= 60_000, `ttl ${answer.ttl}`);
      places.push(answer.current);
    }
  }
  assert.deepEqual(
    places.sort((a, b) => a - b),
    Array.from({ length: 3000 }, (_, i) => i + 1),
    'every hit has its own place in the count: a limit of N lets exactly N through',
  );
  assert.ok(statements.count <= 3000 / 10, `${statements.count} statements for 3,000 hits`);
  const row = await platform.db
    .selectFrom('rate_limits')
    .select('hits')
    .where('key', '=', 'batch|10.0.0.9')
    .executeTakeFirstOrThrow();
  assert.equal(row.hits, 3000);
});
