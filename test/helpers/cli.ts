import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../../src/platform/postgres/supervisor.js';

const bin = path.resolve(import.meta.dirname, '../../bin/steadfast.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A data directory of its own (reachable by the Postgres OS user), with free ports. */
export async function cliHome(): Promise<{ env: Record<string, string>; home: string; httpPort: number; remove(): Promise<void> }> {
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-cli-'));
  await chmod(home, 0o755);
  const httpPort = await findFreePort();
  const env = { STEADFAST_HOME: home, PORT: String(httpPort), STEADFAST_POSTGRES_PORT: String(await findFreePort()), STEADFAST_OPERATOR_PORT: '0', LOG_LEVEL: 'info' };
  return { env, home, httpPort, remove: () => rm(home, { recursive: true, force: true }) };
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) if (name.startsWith('STEADFAST_') || name === 'DATABASE_URL') delete base[name];
  return { ...base, ...env };
}

/** Where a command runs: in this process's network namespace, or in one a test made (`ip netns exec`). */
export interface Where {
  readonly netns?: string;
}

function spawnSteadfast(args: string[], env: Record<string, string>, where: Where): ChildProcess & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream } {
  const options = { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  // `ip netns exec` execs the program, so the child is node itself (signals reach it).
  return where.netns ? spawn('ip', ['netns', 'exec', where.netns, process.execPath, bin, ...args], options) : spawn(process.execPath, [bin, ...args], options);
}

/** Runs one `steadfast` command to completion, with no terminal on stdin. */
export async function runCli(args: string[], env: Record<string, string>, where: Where = {}): Promise<CliResult> {
  const child = spawnSteadfast(args, env, where);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface RunningCli {
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `steadfast up` and resolves once it prints that it is running (or rejects with its output). */
export async function startUp(env: Record<string, string>, args: string[] = [], where: Where = {}): Promise<RunningCli> {
  const child = spawnSteadfast(['up', ...args], env, where);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  while (!output.includes('Steadfast is running')) {
    if (child.exitCode !== null) throw new Error(`steadfast up exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`steadfast up did not start within 60 s:\n${output}`);
    }
    await sleep(50);
  }
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
