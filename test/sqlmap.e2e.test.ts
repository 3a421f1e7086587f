import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * sqlmap (Debian's) against the sign-in, the reset request and a few signed-in API routes,
 * on a real server: every parameter it tries must come out "not injectable". Limits are raised
 * so its thousands of requests are answered, not refused.
 */

const password = 'correct horse battery staple 42';
let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
let port: number;
let cookie: string;
let csrf: string;
let memberId: string;
let output: string;

before(async () => {
  port = await findFreePort();
  platform = await createTestPlatform(
    { signInRateLimitPerMinute: 10_000_000, rateLimitPerMinute: 10_000_000 },
    { publicPort: port },
  );
  app = await buildTestApp(platform);
  await app.listen({ host: '127.0.0.1', port });
  acme = await buildTenant(platform);
  await platform.identity.createUser(
    acme.slug,
    { email: 'olive@example.com', name: 'Olive', role: 'owner', password },
    { actor: 'operator:test' },
  );
  memberId = (
    await platform.identity.createUser(
      acme.slug,
      { email: 'max@example.com', name: 'Max', role: 'member', password },
      { actor: 'operator:test' },
    )
  ).id;
  const signedIn = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(acme.slug) },
    payload: { email: 'olive@example.com', password },
  });
  const session = signedIn.cookies.find((c) => c.name === 'steadfast_session')!;
  cookie = `${session.name}=${session.value}`;
  csrf = signedIn.json().csrfToken;
  output = await mkdtemp(path.join(tmpdir(), 'sqlmap-'));
});
after(async () => {
  await app.close();
  await platform.destroy();
  await rm(output, { recursive: true, force: true });
});

/** Runs sqlmap on one request; resolves with everything it printed. */
function sqlmap(args: string[], host = hostOf(acme.slug, port)): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sqlmap',
      [
        '--batch',
        '--disable-coloring',
        '--flush-session',
        `--output-dir=${output}`,
        '--level=2',
        '--risk=1',
        '--technique=BEUS',
        '--threads=4',
        `--header=Host: ${host}`,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let printed = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(printed));
  });
}

function assertNothingInjectable(printed: string, what: string): void {
  assert.doesNotMatch(
    printed,
    /is vulnerable|sqlmap identified the following injection point/i,
    `${what}:\n${printed}`,
  );
  // A heuristic hit sqlmap then tests and rejects itself is not a finding. Every problem document
  // carries its request's id, so no two answers are alike, and a payload the schema refuses (400)
  // against one it lets through (410) once looked like a boolean-based blind injection to it.
  const suspected = printed.match(/appears to be '.*' injectable/gi)?.length ?? 0;
  const rejected = printed.match(/false positive or unexploitable injection point detected/gi)?.length ?? 0;
  assert.ok(suspected <= rejected, `${what}: a suspected injection sqlmap did not reject:\n${printed}`);
  assert.match(printed, /testing '.*boolean-based blind/, `${what}: sqlmap tried its payloads:\n${printed}`);
  assert.match(
    printed,
    /all tested parameters do not appear to be injectable/,
    `${what}: sqlmap finished its tests:\n${printed}`,
  );
}

test('the sign-in finds nothing injectable', async () => {
  // Its own server, on a clock that moves an hour at every reading: the per-address back-off
  // (a 429 after three failures) never answers sqlmap's guesses in place of the sign-in itself.
  let reading = Date.now();
  const clock = { now: () => new Date((reading += 3_600_000)), sleep: async () => undefined };
  const signInPort = await findFreePort();
  const own = await createTestPlatform(
    { signInRateLimitPerMinute: 10_000_000, rateLimitPerMinute: 10_000_000 },
    { publicPort: signInPort, clock },
  );
  const server = await buildTestApp(own);
  try {
    await server.listen({ host: '127.0.0.1', port: signInPort });
    const tenant = await buildTenant(own, { slug: acme.slug });
    await own.identity.createUser(
      tenant.slug,
      { email: 'olive@example.com', name: 'Olive', role: 'owner', password },
      { actor: 'operator:test' },
    );
    const printed = await sqlmap(
      [
        '-u',
        `http://127.0.0.1:${signInPort}/api/v1/session`,
        '--data={"email":"olive@example.com*","password":"guess*"}',
        '--ignore-code=401',
      ],
      hostOf(tenant.slug, signInPort),
    );
    assertNothingInjectable(printed, 'POST /api/v1/session');
  } finally {
    await server.close();
    await own.destroy();
  }
});

test('the reset request, the invitation lookup and the support entry find nothing injectable', async () => {
  for (const [url, data] of [
    ['/api/v1/password-resets', '{"email":"max@example.com*"}'],
    ['/api/v1/invitations/lookup', '{"token":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa*"}'],
    ['/api/v1/support/session', '{"token":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa*"}'],
  ] as const) {
    const printed = await sqlmap(['-u', `http://127.0.0.1:${port}${url}`, '--method=POST', `--data=${data}`]);
    assertNothingInjectable(printed, url);
  }
});

test("the staff console's sign-in and setup link find nothing injectable", async () => {
  const consoleHost = `console.localhost:${port}`;
  for (const [url, data] of [
    ['/api/v1/console/session', '{"email":"nobody@example.com*","password":"guess*","code":"123456"}'],
    ['/api/v1/console/setup/open', '{"token":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa*"}'],
  ] as const) {
    const printed = await sqlmap(
      ['-u', `http://127.0.0.1:${port}${url}`, '--method=POST', `--data=${data}`, '--ignore-code=401'],
      consoleHost,
    );
    assertNothingInjectable(printed, `${url} on the console`);
  }
});

test('signed-in reads and a change by id find nothing injectable', async () => {
  const signedIn = [`--cookie=${cookie}`, `--headers=X-CSRF-Token: ${csrf}\nContent-Type: application/json`];
  const audit = await sqlmap([
    '-u',
    `http://127.0.0.1:${port}/api/v1/audit?action=session.*&actor=user:olive@example.com*`,
    ...signedIn,
  ]);
  assertNothingInjectable(audit, 'GET /api/v1/audit');
  const role = await sqlmap([
    '-u',
    `http://127.0.0.1:${port}/api/v1/members/${memberId}*`,
    '--method=PATCH',
    '--data={"role":"viewer*"}',
    ...signedIn,
  ]);
  assertNothingInjectable(role, 'PATCH /api/v1/members/{id}');
  const members = await platform.identity.members(acme.slug);
  assert.deepEqual(
    members.map((m) => m.email).sort(),
    ['max@example.com', 'olive@example.com'],
    'no one was added or removed',
  );
});
