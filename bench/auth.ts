/**
 * npm run bench -- auth [seconds]
 *
 * What signing in and authentication cost, on a real embedded cluster and a real `steadfast
 * serve` process (limits raised out of the way):
 * - hash_ms: one argon2id hash at the chosen parameters (the median of 20);
 * - signins_per_s: POST /api/v1/session with the right password, over HTTP;
 * - session_ratio_vs_anonymous / token_ratio_vs_anonymous: requests/s of GET /api/v1/tenant
 *   with a session cookie, and with a bearer token, over the same route without credentials,
 *   interleaved in the same run (goal ≥ 0.9);
 * - allowlist_ratio: the same anonymous route with the workspace's IP allow-list holding 1,000
 *   entries (the caller's the last) over none (goal ≥ 0.95).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPlatform } from '../src/app/deps.js';
import { hashPassword } from '../src/modules/identity/identity.passwords.js';
import { allowListCacheMs } from '../src/modules/identity/identity.allow-list.js';
import {
  benchServers,
  loadRoute,
  meanLoad,
  percentile,
  printResult,
  round,
  startBenchCluster,
  type Load,
} from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 50;
const rounds = 4;
const password = 'correct horse battery staple 42';
const email = 'ada@example.com';
const host = 'acme.localhost';
const servers = benchServers();

const cluster = await startBenchCluster();
const platform = createPlatform(cluster.config, cluster.log, cluster.database);
try {
  await platform.tenancy.create({ kind: 'operator', name: 'bench' }, { slug: 'acme', name: 'Acme' });
  const owner = await platform.identity.createUser(
    'acme',
    { email, name: 'Ada', role: 'owner', password },
    { actor: 'operator:bench' },
  );

  const hashes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await hashPassword(`${password} ${i}`);
    hashes.push(performance.now() - started);
  }
  const hashMs = round(percentile(hashes, 50), 1);

  const serve = await servers.start([path.join(import.meta.dirname, '../bin/steadfast.js'), 'serve'], {
    STEADFAST_HOME: cluster.home,
    LOG_LEVEL: 'warn',
    STEADFAST_SECRET_KEY: cluster.database.secretKey,
    STEADFAST_RATE_LIMIT_PER_MINUTE: '100000000',
    STEADFAST_SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const load = (
    url: string,
    options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
  ) => loadRoute(serve.port, url, { seconds, connections, ...options, headers: { host, ...options.headers } });

  const signIn = await load('/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

  const session = await platform.identity.signIn('acme', { email, password }, { ip: '127.0.0.1' });
  if (session.kind !== 'session') throw new Error('the bench account has no second factor');
  const { token } = await platform.identity.accounts.createToken(
    'acme',
    { userId: owner.id, name: email },
    { name: 'bench', scope: 'read', expiresInDays: 1 },
    { ip: '127.0.0.1' },
  );
  const samples = { anonymous: [] as Load[], session: [] as Load[], token: [] as Load[] };
  for (let i = 0; i < rounds; i++) {
    samples.anonymous.push(await load('/api/v1/tenant'));
    samples.session.push(await load('/api/v1/tenant', { headers: { cookie: `steadfast_session=${session.token}` } }));
    samples.token.push(await load('/api/v1/tenant', { headers: { authorization: `Bearer ${token}` } }));
  }

  const actor = { kind: 'user' as const, name: email, userId: owner.id, role: 'owner' as const };
  const thousand = [...Array.from({ length: 999 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), '127.0.0.1'];
  const listed = { none: [] as Load[], thousand: [] as Load[] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, list] of [
      ['thousand', thousand],
      ['none', []],
    ] as const) {
      await platform.identity.updateSecuritySettings('acme', actor, { ipAllowList: [...list] }, { ip: '127.0.0.1' });
      await sleep(allowListCacheMs + 500); // the serve process reads the list again
      listed[name].push(await load('/api/v1/tenant'));
    }
  }

  const anonymous = meanLoad(samples.anonymous);
  const withSession = meanLoad(samples.session);
  const withToken = meanLoad(samples.token);
  const none = meanLoad(listed.none);
  const withList = meanLoad(listed.thousand);
  console.log(
    `${rounds} interleaved rounds of ${seconds} s, ${connections} connections, server and load on the same 2 cores`,
  );
  console.log(`argon2id (m=19 MiB, t=2, p=1): ${hashMs} ms per hash (median of ${hashes.length})`);
  console.log(
    `sign-ins over HTTP: ${signIn.rps}/s, p99 ${signIn.p99} ms (each: a hash check, a session, an audit entry)`,
  );
  console.log(`GET /api/v1/tenant anonymous:    ${anonymous.rps} req/s, p99 ${anonymous.p99} ms`);
  console.log(`GET /api/v1/tenant with session: ${withSession.rps} req/s, p99 ${withSession.p99} ms`);
  console.log(`GET /api/v1/tenant with token:   ${withToken.rps} req/s, p99 ${withToken.p99} ms`);
  console.log(`allow-list empty:         ${none.rps} req/s; 1,000 entries: ${withList.rps} req/s`);
  printResult('auth', {
    hash_ms: hashMs,
    signins_per_s: signIn.rps,
    session_ratio_vs_anonymous: round(withSession.rps / anonymous.rps),
    token_ratio_vs_anonymous: round(withToken.rps / anonymous.rps),
    allowlist_ratio: round(withList.rps / none.rps),
    anonymous_rps: anonymous.rps,
    session_rps: withSession.rps,
    token_rps: withToken.rps,
  });
} finally {
  await servers.stopAll();
  await platform.close();
  await cluster.stop();
}
