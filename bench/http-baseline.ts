/**
 * npm run bench -- http-baseline [seconds]
 *
 * Requests/s and latency of `steadfast serve`'s /readyz (our plugin chain plus its
 * Postgres check) and /healthz (the plugin chain alone) against a bare Fastify route in
 * the same run, each server in its own process, loaded by autocannon with 50 connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { printResult, round, startBenchCluster } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 50;
const here = import.meta.dirname;

/** Every server this benchmark starts, so a failure half-way still stops them all. */
const children = new Set<{ stop(): Promise<void> }>();

async function startServer(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const port = await findFreePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const server = {
    port,
    child,
    async stop() {
      children.delete(server);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  children.add(server);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes('is running')) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start within 60 s:\n${output}`);
    await sleep(50);
  }
  return server;
}

async function load(port: number, url: string): Promise<{ rps: number; p50: number; p99: number }> {
  await autocannon({ url: `http://127.0.0.1:${port}${url}`, connections, duration: 2 }); // warm-up
  const result = await autocannon({ url: `http://127.0.0.1:${port}${url}`, connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { rps: round(result.requests.average, 0), p50: result.latency.p50, p99: result.latency.p99 };
}

/** Mean of each figure over the rounds. */
function mean(results: Array<{ rps: number; p50: number; p99: number }>): { rps: number; p50: number; p99: number } {
  const avg = (pick: (r: { rps: number; p50: number; p99: number }) => number) =>
    round(results.reduce((sum, r) => sum + pick(r), 0) / results.length, 1);
  return { rps: Math.round(avg((r) => r.rps)), p50: avg((r) => r.p50), p99: avg((r) => r.p99) };
}

const rounds = 2;
const cluster = await startBenchCluster();
try {
  const env = { STEADFAST_HOME: cluster.home, LOG_LEVEL: 'warn', STEADFAST_SECRET_KEY: cluster.database.secretKey };
  const bare = await startServer(['--import', 'tsx', path.join(here, 'bare-server.ts')], {});
  const ours = await startServer([path.join(here, '../bin/steadfast.js'), 'serve'], env);
  // Interleaved rounds, so a slow moment of the machine does not fall on one side only.
  const samples = {
    bare: [] as Awaited<ReturnType<typeof load>>[],
    ready: [] as Awaited<ReturnType<typeof load>>[],
    health: [] as Awaited<ReturnType<typeof load>>[],
  };
  for (let i = 0; i < rounds; i++) {
    samples.bare.push(await load(bare.port, '/readyz'));
    samples.ready.push(await load(ours.port, '/readyz'));
    samples.health.push(await load(ours.port, '/healthz'));
  }
  await bare.stop();
  await ours.stop();
  const bareFigures = mean(samples.bare);
  const ready = mean(samples.ready);
  const health = mean(samples.health);

  console.log(
    `${rounds} interleaved rounds of ${seconds} s each (means shown), ${connections} connections, server and load generator on the same 2 cores`,
  );
  console.log(
    `bare Fastify route:      ${bareFigures.rps} req/s, p50 ${bareFigures.p50} ms, p99 ${bareFigures.p99} ms`,
  );
  console.log(
    `steadfast /readyz:       ${ready.rps} req/s, p50 ${ready.p50} ms, p99 ${ready.p99} ms (one Postgres round trip, shared by concurrent probes)`,
  );
  console.log(
    `steadfast /healthz:      ${health.rps} req/s, p50 ${health.p50} ms, p99 ${health.p99} ms (plugin chain only)`,
  );
  printResult('http-baseline', {
    rps: ready.rps,
    p99_ms: ready.p99,
    bare_rps: bareFigures.rps,
    bare_p99_ms: bareFigures.p99,
    ratio_vs_bare: round(ready.rps / bareFigures.rps),
    healthz_rps: health.rps,
    healthz_ratio_vs_bare: round(health.rps / bareFigures.rps),
  });
} finally {
  await Promise.all([...children].map((server) => server.stop()));
  await cluster.stop();
}
