import type { Command } from 'commander';
import { createPlatformNode } from '../app/replication-node.js';
import { listenSettings, startPlatform, type Roles, type RunningPlatform } from '../app/run.js';
import { assertPortsFree } from '../platform/http/listen.js';
import { readInstance } from '../platform/process/instance.js';
import { appError } from '../platform/errors.js';
import type { FencedState, NodeRole, PlatformNode } from '../modules/replication/index.js';
import { createLogger } from '../platform/log/log.js';
import { configFrom, globalOptions } from './context.js';

/** The server roles: `up` runs everything, `serve` only HTTP, `worker` only jobs and schedules. */
const roleSets: Record<'up' | 'serve' | 'worker', Roles> = {
  up: { http: true, worker: true, ownDatabase: true },
  serve: { http: true, worker: false, ownDatabase: false },
  worker: { http: false, worker: true, ownDatabase: false },
};

export function registerServerCommands(program: Command): void {
  program
    .command('up')
    .description('run Steadfast: the embedded PostgreSQL (unless DATABASE_URL is set), the HTTP server and the worker')
    .option('-p, --port <port>', 'HTTP port (default 8080, or PORT)')
    .action((options: { port?: string }, command: Command) => runServer(command, 'up', options.port));
  program
    .command('serve')
    .description('run only the HTTP server, against DATABASE_URL or the running instance of this home')
    .option('-p, --port <port>', 'HTTP port (default 8080, or PORT)')
    .action((options: { port?: string }, command: Command) => runServer(command, 'serve', options.port));
  program
    .command('worker')
    .description('run only background jobs and schedules, against DATABASE_URL or the running instance of this home')
    .action((_options: unknown, command: Command) => runServer(command, 'worker'));
}

async function runServer(command: Command, role: keyof typeof roleSets, port?: string): Promise<void> {
  const options = globalOptions(command);
  const config = configFrom(options, { httpPort: port });
  const log = createLogger(config.logLevel, { role }, config.logFormat);
  // A Steadfast already running on this home holds its ports too: say that, not which port is taken.
  // (Its recorded process, not PostgreSQL: a server left by a process just killed may still be
  // shutting down, and the supervisor waits that out when it starts its own.)
  if (roleSets[role].ownDatabase && !config.databaseUrl) await assertNoInstance(config.home);
  // A taken port is refused before anything starts: no initdb, no demo tenant, for a start that cannot serve.
  if (roleSets[role].http) await assertPortsFree(Object.values(listenSettings(config)));
  // Listen for Ctrl-C from the start: a signal during start-up stops cleanly once started.
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let running: { fatal: Promise<Error>; stop(): Promise<void> };
  if (role === 'up' && !config.databaseUrl) {
    // The embedded platform as one node: primary, standby or fenced, moving between them by itself.
    const node = createPlatformNode(config, log);
    node.on('role', (now: NodeRole, detail?: { host: string; port: number } | FencedState) =>
      announce(now, node, detail),
    );
    await node.start();
    running = node;
  } else {
    const platform = await startPlatform(config, log, roleSets[role]);
    process.stdout.write(
      platform.entryUrl ? banner(platform) : `\nSteadfast ${role} is running; stop with Ctrl-C.\n\n`,
    );
    running = platform;
  }
  const reason = await Promise.race([stopRequested, running.fatal.then((error) => `fatal: ${error.message}`)]);
  log.info({ reason }, 'shutting down');
  // A second signal while draining stops at once; Postgres follows via its parent-death signal.
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await running.stop();
  log.info('stopped');
  log.flush();
  process.exitCode = reason.startsWith('fatal') ? 1 : 0;
}

function banner(platform: Pick<RunningPlatform, 'entryUrl' | 'port' | 'firstSignIn' | 'consoleUrl'>): string {
  const { entryUrl, port, firstSignIn: first } = platform;
  const local = `${new URL(entryUrl!).protocol}//localhost:${port}`;
  const firstStart = first
    ? `First start: the demo workspace's owner is ${first.email}. Choose its password here (the link works once, within 24 hours):\n  ${first.link}\nA new link at any time: steadfast user link ${first.tenant} ${first.email}\n\n`
    : '';
  const console = platform.consoleUrl
    ? `  staff console: ${platform.consoleUrl} (an account: steadfast staff create EMAIL)\n`
    : '';
  return `\nSteadfast is running. Open ${entryUrl}\n${console}  health: ${local}/healthz · readiness: ${local}/readyz\n  stop with Ctrl-C\n\n${firstStart}`;
}

/** What the terminal says when the node starts as, or becomes, a primary, a standby or fenced. */
function announce(role: NodeRole, node: PlatformNode, detail?: { host: string; port: number } | FencedState): void {
  if (role === 'primary') {
    const platform = node.platform;
    process.stdout.write(platform?.entryUrl ? banner(platform) : '\nSteadfast is running as the primary.\n\n');
  } else if (role === 'standby' && detail) {
    process.stdout.write(
      `\nSteadfast is running as a standby of ${detail.host}:${'port' in detail ? detail.port : ''}; it serves no tenants until promoted ("steadfast failover").\n  see its lag with "steadfast status" · stop with Ctrl-C\n\n`,
    );
  } else if (role === 'fenced' && detail && 'by' in detail) {
    process.stdout.write(
      `\nThis node is fenced: ${detail.by} took over (${detail.reason}). It serves nothing, and follows ${detail.by} as a standby as soon as that node is primary.\n\n`,
    );
  }
}

async function assertNoInstance(home: string): Promise<void> {
  const running = await readInstance(home);
  if (running)
    throw appError(
      'ALREADY_RUNNING',
      `Steadfast (pid ${running.pid}, HTTP port ${running.httpPort}) is already running on ${home}. Stop it first, or set STEADFAST_HOME to another directory.`,
    );
}
