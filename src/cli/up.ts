import type { Command } from 'commander';
import { readStandbyState } from '../app/replication.js';
import { startPlatform, type Roles } from '../app/run.js';
import { startStandby } from '../app/standby.js';
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
  // Listen for Ctrl-C from the start: a signal during start-up stops cleanly once started.
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const standby = role === 'up' && !config.databaseUrl ? await readStandbyState(config.home) : undefined;
  const running = standby ? await startStandby(config, log, standby) : await startPlatform(config, log, roleSets[role]);
  if (standby) {
    process.stdout.write(`\nSteadfast is running as a standby of ${standby.primary.host}:${standby.primary.port}; it serves no tenants until promoted.\n  see its lag with "steadfast status" · stop with Ctrl-C\n\n`);
  } else if ('entryUrl' in running && running.entryUrl) {
    process.stdout.write(`\nSteadfast is running. Open ${running.entryUrl}\n  health: http://localhost:${running.port}/healthz · readiness: http://localhost:${running.port}/readyz\n  stop with Ctrl-C\n\n`);
  } else {
    process.stdout.write(`\nSteadfast ${role} is running; stop with Ctrl-C.\n\n`);
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
