import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  runSteadfast,
  startSteadfast,
  type CommandResult,
  type RunningChild,
} from '../../src/platform/process/child.js';
import { findFreePort } from '../../src/platform/postgres/supervisor.js';

export type CliResult = CommandResult;
export type RunningCli = RunningChild;

/** The environment of a `steadfast` run on `home`, with free HTTP and PostgreSQL ports and any operator port. */
export async function homeEnv(home: string): Promise<{
  STEADFAST_HOME: string;
  PORT: string;
  STEADFAST_POSTGRES_PORT: string;
  STEADFAST_OPERATOR_PORT: string;
}> {
  return {
    STEADFAST_HOME: home,
    PORT: String(await findFreePort()),
    STEADFAST_POSTGRES_PORT: String(await findFreePort()),
    STEADFAST_OPERATOR_PORT: '0',
  };
}

/** A data directory of its own (reachable by the Postgres OS user), with free ports. */
export async function cliHome(): Promise<{
  env: Record<string, string>;
  home: string;
  httpPort: number;
  remove(): Promise<void>;
}> {
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-cli-'));
  await chmod(home, 0o755);
  const env = { ...(await homeEnv(home)), LOG_LEVEL: 'info' };
  return { env, home, httpPort: Number(env.PORT), remove: () => rm(home, { recursive: true, force: true }) };
}

/** Where a command runs: in this process's network namespace, or in one a test made (`ip netns exec`). */
export interface Where {
  readonly netns?: string;
}

/** Runs one `steadfast` command to completion, with no terminal on stdin. */
export function runCli(args: string[], env: Record<string, string>, where: Where = {}): Promise<CliResult> {
  return runSteadfast(args, { env, netns: where.netns });
}

/** Starts `steadfast up` and resolves once it prints that it is running (or rejects with its output). */
export function startUp(
  env: Record<string, string>,
  args: string[] = [],
  where: Where & { processGroup?: boolean } = {},
): Promise<RunningCli> {
  return startSteadfast(['up', ...args], {
    env,
    netns: where.netns,
    processGroup: where.processGroup,
    ready: 'Steadfast is running',
  });
}
