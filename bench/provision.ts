/**
 * npm run bench -- provision [count]
 *
 * Creates `count` (default 200) tenants through the tenancy service on a real embedded
 * cluster with durable settings and reports milliseconds per tenant; as the baseline,
 * the same DDL (role, database, revoke, first table) as raw SQL in the same run. Then
 * starts `steadfast serve` on that cluster, sends one request to every tenant, and
 * reports the server's resident memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPlatform } from '../src/app/deps.js';
import { withClient } from '../src/platform/db/connect.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { percentile, printResult, round, startBenchCluster } from './lib.js';

const count = Number(process.argv[2] ?? 200);
const cluster = await startBenchCluster();
try {
  const platform = createPlatform(cluster.config, cluster.log, cluster.database);
  const ours: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await platform.tenancy.create({ kind: 'operator', name: 'bench' }, { slug: `tenant-${i}`, name: `Tenant ${i}` });
    ours.push(performance.now() - started);
  }
  await platform.close();
  const raw = await rawProvisioning(count);
  const rss = await serverMemory(count);

  const figures = {
    p50_ms: round(percentile(ours, 50)),
    p95_ms: round(percentile(ours, 95)),
    raw_p50_ms: round(percentile(raw, 50)),
    raw_p95_ms: round(percentile(raw, 95)),
    ratio_p95_vs_raw: round(percentile(ours, 95) / percentile(raw, 95)),
    rss_mb_idle: rss.idle,
    rss_mb_200_tenants: rss.touched,
  };
  console.log(`tenants created: ${count} (goal: p95 < 250 ms)`);
  console.log(`steadfast tenant create: p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms`);
  console.log(
    `raw SQL baseline (role + database + revoke + first table): p50 ${figures.raw_p50_ms} ms, p95 ${figures.raw_p95_ms} ms`,
  );
  console.log(`ratio p95 steadfast / raw: ${figures.ratio_p95_vs_raw}`);
  console.log(
    `steadfast serve RSS: ${figures.rss_mb_idle} MB after start, ${figures.rss_mb_200_tenants} MB after one request to each of ${count} tenants`,
  );
  printResult('provision', figures);
} finally {
  await cluster.stop();
}

/** The same cluster work without Steadfast: what Postgres itself costs per tenant. */
async function rawProvisioning(n: number): Promise<number[]> {
  const admin = { ...cluster.database.admin, database: 'postgres' };
  const samples: number[] = [];
  await withClient(admin, async (client) => {
    for (let i = 0; i < n; i++) {
      const name = `raw_${i}`;
      const started = performance.now();
      await client.query(`CREATE ROLE ${name} LOGIN PASSWORD 'raw-password-${i}'`);
      await client.query(`CREATE DATABASE ${name} OWNER ${name} TEMPLATE template0`);
      await client.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
      await withClient({ ...admin, user: name, password: `raw-password-${i}`, database: name }, (tenant) =>
        tenant.query(
          'CREATE TABLE settings (key text PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())',
        ),
      );
      samples.push(performance.now() - started);
    }
    for (let i = 0; i < n; i++) {
      await client.query(`DROP DATABASE raw_${i}`);
      await client.query(`DROP ROLE raw_${i}`);
    }
  });
  return samples;
}

/** Starts `steadfast serve` against the cluster, touches every tenant once, and reads its RSS. */
async function serverMemory(n: number): Promise<{ idle: number; touched: number }> {
  const port = await findFreePort();
  const bin = path.resolve(import.meta.dirname, '../bin/steadfast.js');
  const env = {
    ...process.env,
    STEADFAST_HOME: cluster.home,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    STEADFAST_SECRET_KEY: cluster.database.secretKey,
  };
  const server = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(server, 'exit');
  try {
    let output = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const deadline = Date.now() + 60_000;
    while (!output.includes('is running')) {
      if (server.exitCode !== null) throw new Error(`steadfast serve exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`steadfast serve did not start within 60 s:\n${output}`);
      await sleep(50);
    }
    await sleep(1000);
    const idle = await rssMb(server.pid!);
    for (let i = 0; i < n; i++) {
      const status = await request(port, `tenant-${i}.localhost`);
      if (status !== 200) throw new Error(`tenant-${i} answered ${status}`);
    }
    await sleep(2000);
    return { idle, touched: await rssMb(server.pid!) };
  } finally {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return round(kb / 1024, 1);
}

function request(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/api/v1/tenant', headers: { host } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', reject);
  });
}
