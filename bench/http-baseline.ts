/**
 * npm run bench -- http-baseline [seconds]
 *
 * Requests/s and latency of `steadfast serve`'s /readyz (our plugin chain plus its
 * Postgres check) and /healthz (the plugin chain alone) against a bare Fastify route in
 * the same run, each server in its own process, loaded by autocannon with 50 connections.
 */
import path from 'node:path';
import { benchServers, loadRoute, meanLoad, printResult, round, startBenchCluster, type Load } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 50;
const here = import.meta.dirname;
const servers = benchServers();
const load = (port: number, url: string) => loadRoute(port, url, { seconds, connections });
const mean = meanLoad;

const rounds = 2;
const cluster = await startBenchCluster();
try {
  const env = { STEADFAST_HOME: cluster.home, LOG_LEVEL: 'warn', STEADFAST_SECRET_KEY: cluster.database.secretKey };
  const bare = await servers.start(['--import', 'tsx', path.join(here, 'bare-server.ts')], {});
  const ours = await servers.start([path.join(here, '../bin/steadfast.js'), 'serve'], env);
  // Interleaved rounds, so a slow moment of the machine does not fall on one side only.
  const samples = {
    bare: [] as Load[],
    ready: [] as Load[],
    health: [] as Load[],
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
  await servers.stopAll();
  await cluster.stop();
}
