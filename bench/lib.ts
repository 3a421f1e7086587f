import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootstrapPlatform, startEmbedded } from '../src/app/database.js';
import { type DatabaseHandle } from '../src/platform/db/handle.js';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { createLogger, type Logger } from '../src/platform/log/log.js';

export { percentile } from '../src/platform/percentile.js';

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The line the bench runner and the README quote. Always the last line a benchmark prints. */
export function printResult(name: string, figures: Record<string, number>): void {
  process.stdout.write(`RESULT ${name} ${JSON.stringify(figures)}\n`);
}

export interface BenchCluster {
  readonly config: Config;
  readonly home: string;
  readonly database: DatabaseHandle;
  readonly log: Logger;
  stop(): Promise<void>;
}

/**
 * A real embedded cluster with default (durable) settings in a fresh home, set up as
 * `steadfast up` would: platform database created and migrated, no demo tenant.
 */
export async function startBenchCluster(overrides: Record<string, unknown> = {}): Promise<BenchCluster> {
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-bench-'));
  await chmod(home, 0o755);
  const config = loadConfig({
    env: {},
    overrides: { home, demoTenant: '', postgresPort: 0, logLevel: 'warn', ...overrides },
  });
  const log = createLogger('warn', { component: 'bench' });
  const database = await startEmbedded(config, log);
  try {
    await bootstrapPlatform(database, log);
  } catch (error) {
    await database.stop();
    throw error;
  }
  return {
    config,
    home,
    database,
    log,
    async stop() {
      await database.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface BenchServer {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Server processes a benchmark starts (node `args` with `env`, on a free PORT, ready when they
 * print "is running"), kept so a failure half-way still stops them all. With BENCH_CPU_PROF set
 * to a folder, each writes a CPU profile there as it stops.
 */
export function benchServers() {
  const running = new Set<BenchServer>();
  return {
    async start(args: string[], env: NodeJS.ProcessEnv): Promise<BenchServer> {
      const port = await findFreePort();
      // BENCH_CPU_PROF=<dir>: each server writes a CPU profile there when it stops (where its time went).
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const child = spawn(process.execPath, [...profile, ...args], {
        env: { ...process.env, ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const server: BenchServer = {
        port,
        child,
        async stop() {
          running.delete(server);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
      running.add(server);
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const deadline = Date.now() + 60_000;
      while (!output.includes('is running')) {
        if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`server did not start within 60 s:\n${output}`);
        await sleep(50);
      }
      return server;
    },
    async stopAll(): Promise<void> {
      await Promise.all([...running].map((server) => server.stop()));
    },
  };
}

/**
 * Pins a process, all its threads, to one core. A server pinned to one core and the load generator
 * (the bench itself) to the other measures what one core of the server serves; left to share two
 * cores, its requests/s is what it won in a tug-of-war with the load generator, which swings by
 * 10 % between identical runs.
 */
export function pinToCpu(pid: number, cpu: number): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** CPU seconds a process (all its threads) has used, user and system, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** With `serverPid`: requests answered per CPU second the server used (its cost, free of what others took of the core). */
  rpsPerCpu?: number;
}

/** Requests/s and latency of one route under autocannon, after a 2 s warm-up; any non-2xx answer fails the run. */
export async function loadRoute(
  port: number,
  url: string,
  options: {
    seconds: number;
    connections: number;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    /** The server's process: its CPU time during the measured run gives `rpsPerCpu`. */
    serverPid?: number;
  },
): Promise<Load> {
  const request = {
    url: `http://127.0.0.1:${port}${url}`,
    connections: options.connections,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
  };
  await autocannon({ ...request, duration: 2 }); // warm-up
  const cpuBefore = options.serverPid === undefined ? 0 : cpuSecondsOf(options.serverPid);
  const result = await autocannon({ ...request, duration: options.seconds });
  const cpu = options.serverPid === undefined ? undefined : cpuSecondsOf(options.serverPid) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return {
    rps: round(result.requests.average, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ...(cpu ? { rpsPerCpu: round(result.requests.total / cpu, 0) } : {}),
  };
}

/** Mean of each figure over rounds. */
export function meanLoad(results: readonly Load[]): Load {
  const avg = (pick: (r: Load) => number) => round(results.reduce((sum, r) => sum + pick(r), 0) / results.length, 1);
  return { rps: Math.round(avg((r) => r.rps)), p50: avg((r) => r.p50), p99: avg((r) => r.p99) };
}
