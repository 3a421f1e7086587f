/**
 * npm run bench -- work-api [seconds]
 *
 * The work API on a workspace holding 100,000 tasks (OPS 70,000, WEB 30,000; about 200,000
 * comments and 380,000 activity entries), seeded straight in SQL, served by a real `steadfast
 * serve` process on a real embedded cluster, with a read-write personal API token:
 * - rps, p50_ms, p99_ms: a mix at 32 connections (60% lists and searches, 30% task reads, 10%
 *   writes: a task made or changed with If-Match, then a comment on it), goal p99 < 50 ms;
 * - bare_rps, ratio_vs_bare: the same mix, in interleaved rounds of the same run, against a bare
 *   Fastify server running the equivalent SQL on the same database (goal ≥ 0.6);
 * - search_p95_ms: searches one at a time for a title word, part of a word, a rare word and a
 *   task key (goal < 30 ms);
 * - live_p99_ms: 200 moves (PATCH state) by one client, from the request to the event arriving
 *   on another client's stream of the project (goal < 250 ms).
 * Goals are printed beside the figures; missing one does not fail the run.
 */
import path from 'node:path';
import pg from 'pg';
import { createPlatform } from '../src/app/deps.js';
import { tenantTarget } from '../src/platform/db/tenant-pools.js';
import { benchServers, percentile, printResult, round, startBenchCluster } from './lib.js';
import { apiClient, expectStatus, type Call } from './work-api/client.js';
import { EditableTasks, kinds, runMix, type MixFigures, type MixFixture } from './work-api/mix.js';
import { liveLatency, searchKinds, searchLatency } from './work-api/probes.js';
import { seedWork, type SeedProject } from './work-api/seed.js';
import { explainLists } from './work-api/explain.js';

const seconds = Number(process.argv[2] ?? 15);
const connections = 32;
const rounds = 3;
const moves = 200;
const searchesPerKind = 100;
const sizes = [
  { key: 'OPS', name: 'Operations', tasks: 70_000 },
  { key: 'WEB', name: 'Website', tasks: 30_000 },
];
const labelNames = ['bug', 'customer', 'security', 'performance', 'tech-debt', 'design'];
const slug = 'acme';
const host = `${slug}.localhost`;
const here = import.meta.dirname;
const servers = benchServers();
const print = (line: string) => console.log(line);

const cluster = await startBenchCluster();
const platform = createPlatform(cluster.config, cluster.log, cluster.database);
const closers: Array<() => void> = [];
try {
  print('setting up: a workspace, 8 people, 2 projects with labels, a token each for the mix and for a watcher');
  await platform.tenancy.create({ kind: 'operator', name: 'bench' }, { slug, name: 'Acme' });
  const person = (email: string, name: string, role: 'owner' | 'admin' | 'member') =>
    platform.identity.createUser(slug, { email, name, role }, { actor: 'operator:bench' });
  const owner = await person('ada@example.com', 'Ada Lovelace', 'owner');
  const watcher = await person('grace@example.com', 'Grace Hopper', 'admin');
  const members = [owner];
  for (const name of [
    'Alan Turing',
    'Barbara Liskov',
    'Edsger Dijkstra',
    'Frances Allen',
    'Ken Thompson',
    'Radia Perlman',
  ])
    members.push(await person(`${name.split(' ')[0]!.toLowerCase()}@example.com`, name, 'member'));
  const tokenOf = async (user: { id: string; email: string }) =>
    (
      await platform.identity.accounts.createToken(
        slug,
        { userId: user.id, name: user.email },
        { name: 'work-api bench', scope: 'read-write', expiresInDays: 1 },
        { ip: '127.0.0.1' },
      )
    ).token;
  const headers = { host, authorization: `Bearer ${await tokenOf(owner)}` };
  const watcherHeaders = { host, authorization: `Bearer ${await tokenOf(watcher)}` };

  const serve = await servers.start([path.join(here, '../bin/steadfast.js'), 'serve'], {
    STEADFAST_HOME: cluster.home,
    LOG_LEVEL: 'warn',
    STEADFAST_SECRET_KEY: cluster.database.secretKey,
    STEADFAST_OPERATOR_PORT: '0',
    STEADFAST_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const ada = apiClient(serve.port, headers);
  closers.push(ada.close);
  const projects = await makeProjects(
    ada.call,
    members.map((member) => member.id),
  );

  const row = await platform.db
    .selectFrom('tenants')
    .select(['database_name', 'role_name'])
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  const client = new pg.Client({ ...cluster.database.admin, database: row.database_name });
  await client.connect();
  try {
    await seedWork(
      client,
      { projects, userIds: members.map((member) => member.id), author: { id: owner.id, name: owner.email } },
      print,
    );
  } finally {
    await client.end();
  }

  if (process.env.WORK_BENCH_EXPLAIN) {
    await explainLists(
      { ...cluster.database.admin, database: row.database_name },
      projects,
      members.map((member) => member.id),
      ['invoice', 'voic', 'OPS-4242'],
      print,
    );
    process.exitCode = 0;
  }

  const bare = await servers.start(['--import', 'tsx', path.join(here, 'work-api/bare-server.ts')], {
    BARE_DATABASE: JSON.stringify(
      tenantTarget(cluster.database.admin, cluster.database.secretKey, {
        databaseName: row.database_name,
        roleName: row.role_name,
      }),
    ),
    BARE_POOL_MAX: String(cluster.config.tenantPoolMaxConnections),
  });

  const fixture: MixFixture = {
    projects: projects.map((project) => ({
      key: project.key,
      tasks: project.tasks,
      stateIds: project.states.map((state) => state.id),
      labelIds: project.labelIds,
    })),
    userIds: members.map((member) => member.id),
  };
  // WEB-1..WEB-moves are the live probe's to move; the mix changes 5,000 others.
  const editable = new EditableTasks(
    Array.from({ length: 5000 }, (_, i) => (i % 2 ? `OPS-${1 + i * 13}` : `WEB-${moves + 1 + i * 5}`)),
  );
  const samples = { ours: [] as MixFigures[], bare: [] as MixFigures[] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, server] of [
      ['bare', bare],
      ['ours', serve],
    ] as const) {
      const figures = await runMix(server.port, headers, fixture, editable, { seconds, connections });
      samples[name].push(figures);
      print(
        `round ${i + 1}, ${name === 'ours' ? 'steadfast' : 'bare     '}: ${figures.rps} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms`,
      );
    }
  }
  await bare.stop();

  const search = await searchLatency(ada.call, fixture, searchesPerKind);
  const web = projects.find((project) => project.key === 'WEB')!;
  const live = await liveLatency(
    ada.call,
    { port: serve.port, headers: watcherHeaders },
    {
      key: 'WEB',
      todo: web.states.find((state) => state.group === 'unstarted')!.id,
      started: web.states.find((state) => state.group === 'started')!.id,
    },
    Array.from({ length: moves }, (_, i) => `WEB-${i + 1}`),
  );

  const mean = (list: MixFigures[], pick: (figures: MixFigures) => number) =>
    round(list.reduce((sum, figures) => sum + pick(figures), 0) / list.length, 1);
  const ours = { rps: Math.round(mean(samples.ours, (f) => f.rps)), p50: mean(samples.ours, (f) => f.p50) };
  const p99 = mean(samples.ours, (f) => f.p99);
  const bareRps = Math.round(mean(samples.bare, (f) => f.rps));
  const ratio = round(ours.rps / bareRps);
  const liveP99 = round(percentile(live.delivered, 99), 1);
  print(
    `${rounds} interleaved rounds of ${seconds} s (means shown), ${connections} connections, servers, Postgres and autocannon on the same 2 cores`,
  );
  print(`steadfast: ${ours.rps} req/s, p50 ${ours.p50} ms, p99 ${p99} ms (goal: p99 < 50 ms)`);
  print(
    `bare:      ${bareRps} req/s, p50 ${mean(samples.bare, (f) => f.p50)} ms, p99 ${mean(samples.bare, (f) => f.p99)} ms; ratio ${ratio} (goal ≥ 0.6)`,
  );
  for (const kind of kinds) {
    const line = (list: MixFigures[]) => {
      const all = list.flatMap((figures) => figures.byKind[kind]);
      return `${all.length} answered, p50 ${round(percentile(all, 50), 1)} ms, p99 ${round(percentile(all, 99), 1)} ms`;
    };
    print(`  ${kind.padEnd(8)} steadfast ${line(samples.ours)}; bare ${line(samples.bare)}`);
  }
  print(
    `search, one at a time, p95: ${searchKinds.map((kind) => `${kind} ${search[kind]} ms`).join(', ')}; all ${search.all} ms (goal < 30 ms)`,
  );
  print(
    `live: a move reaches another client's stream in p50 ${round(percentile(live.delivered, 50), 1)} ms, p99 ${liveP99} ms over ${moves} moves (goal < 250 ms); the PATCH itself p50 ${round(percentile(live.answered, 50), 1)} ms`,
  );
  printResult('work-api', {
    rps: ours.rps,
    p50_ms: ours.p50,
    p99_ms: p99,
    bare_rps: bareRps,
    ratio_vs_bare: ratio,
    search_p95_ms: search.all,
    live_p99_ms: liveP99,
  });
} finally {
  for (const close of closers) close();
  await servers.stopAll();
  await platform.close();
  await cluster.stop();
}

/** The projects, made through the API as a person would: labels, members, and the default workflow. */
async function makeProjects(call: Call, memberIds: readonly string[]): Promise<SeedProject[]> {
  const made: SeedProject[] = [];
  for (const { key, name, tasks } of sizes) {
    expectStatus(await call('POST', '/api/v1/projects', { key, name }), 201, `making ${key}`);
    const labelIds: string[] = [];
    for (const [i, label] of labelNames.entries())
      labelIds.push(
        expectStatus(
          await call<{ id: string }>('POST', `/api/v1/projects/${key}/labels`, {
            name: label,
            color: `#${(0x3b82f6 + i * 0x151515).toString(16).slice(-6)}`,
          }),
          201,
          `label ${label}`,
        ).id,
      );
    for (const id of memberIds.slice(1))
      expectStatus(await call('PUT', `/api/v1/projects/${key}/members/${id}`, { role: 'member' }), 200, 'member');
    const detail = expectStatus(
      await call<{ id: string; states: Array<{ id: string; name: string; group: string }> }>(
        'GET',
        `/api/v1/projects/${key}`,
      ),
      200,
      `reading ${key}`,
    );
    const groups = ['backlog', 'unstarted', 'started', 'completed', 'cancelled'];
    const states = groups.map((group) => detail.states.find((state) => state.group === group)!);
    made.push({ id: detail.id, key, tasks, states, labelIds });
  }
  return made;
}
