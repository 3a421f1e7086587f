import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { pollUntil } from '../clock/clock.js';
import { appError } from '../errors.js';

/** The package's own `steadfast` executable, run by this Node. */
const bin = path.resolve(import.meta.dirname, '../../../bin/steadfast.js');

/** Where and how a child `steadfast` runs. */
export interface ChildOptions {
  /** Its whole environment's Steadfast part: inherited STEADFAST_* and DATABASE_URL are dropped first. */
  readonly env: Record<string, string>;
  /** A network namespace to run it in (`ip netns exec`), for simulated data centres. */
  readonly netns?: string;
  /** Leads a process group of its own, as a command started from a terminal does (see `RunningChild.interrupt`). */
  readonly processGroup?: boolean;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningChild {
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal (TERM by default) and resolves with the exit code once it has exited; killed if it has not within `graceSeconds` (60). */
  stop(signal?: NodeJS.Signals, graceSeconds?: number): Promise<number | null>;
  /** Ctrl-C on a terminal: SIGINT to its whole process group (started with `processGroup`); resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) if (name.startsWith('STEADFAST_') || name === 'DATABASE_URL') delete base[name];
  return { ...base, ...env };
}

function spawnSteadfast(
  args: string[],
  options: ChildOptions,
): ChildProcess & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream } {
  // setpriv --pdeathsig: the child stops (a clean TERM) if this process dies without stopping it, so nothing is left running.
  // Both setpriv and `ip netns exec` exec the program, so the child is node itself and signals reach it.
  const command = ['setpriv', '--pdeathsig', 'TERM', process.execPath, bin, ...args];
  const argv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command;
  return spawn(argv[0]!, argv.slice(1), {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
}

/** Runs one `steadfast` command to completion, with no terminal on stdin. */
export async function runSteadfast(args: string[], options: ChildOptions): Promise<CommandResult> {
  const child = spawnSteadfast(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Starts a long-running `steadfast` command (`up`, `serve`) and resolves once its output shows `ready`, or rejects with that output. */
export async function startSteadfast(
  args: string[],
  options: ChildOptions & { ready?: string; timeoutSeconds?: number },
): Promise<RunningChild> {
  const child = spawnSteadfast(args, options);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');
  const ready = options.ready ?? 'is running';
  const seconds = options.timeoutSeconds ?? 60;
  const exitedEarly = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const outcome = await pollUntil(() => (output.includes(ready) ? 'ready' : exitedEarly() ? 'exited' : undefined), {
    timeoutMs: seconds * 1000,
    intervalMs: 50,
    timeoutError: () =>
      appError(
        'DRILL_FAILED',
        `"steadfast ${args.join(' ')}" was not ready within ${seconds} s:\n${output.slice(-4000)}`,
      ),
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  if (outcome === 'exited')
    throw appError('DRILL_FAILED', `"steadfast ${args.join(' ')}" exited before it was ready:\n${output.slice(-4000)}`);
  return {
    child,
    output: () => output,
    async interrupt() {
      process.kill(-child.pid!, 'SIGINT');
      const [code] = (await exited) as [number | null];
      return code;
    },
    async stop(signal = 'SIGTERM', graceSeconds = 60) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const overdue = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
      try {
        const [code] = (await exited) as [number | null];
        return code;
      } finally {
        clearTimeout(overdue);
      }
    },
  };
}
