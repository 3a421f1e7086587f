import type { Kysely } from 'kysely';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import type { ConnectionTarget } from '../db/connect.js';
import type { PlatformTables } from '../db/schema.js';
import type { Logger } from '../log/log.js';
import { pruneJobsJob, pruneRateLimitsJob } from './builtin.js';
import { LeaderLock } from './leader.js';
import type { JobDefinition, JobQueue } from './queue.js';
import { JobRunner } from './runner.js';
import { Scheduler, type Schedule } from './scheduler.js';
import type { LeaderLoop } from '../module.js';

/** What the worker role runs on (the platform is one). */
export interface WorkerDeps {
  readonly config: Pick<Config, 'jobConcurrency' | 'jobPollIntervalMs' | 'shutdownGraceSeconds'>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly db: Kysely<PlatformTables>;
  readonly jobs: JobQueue;
  /** Outgoing mail: its delivery job runs in every process. */
  readonly mail: { readonly deliveryJob: JobDefinition };
  /** The platform database, for the leader's advisory lock (a connection of its own). */
  readonly database: { readonly admin: ConnectionTarget };
}

export interface Worker {
  readonly runner: JobRunner;
  readonly leader: LeaderLock;
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

/** Stable advisory-lock key for "runs the schedules" in the platform database. */
const leaderLockKey = 0x5f5f_4c44;
const scheduleTickMs = 1000;

/**
 * The worker role: runs queued jobs (every process), and runs the schedules (only the
 * leader). `extra` holds every module's jobs and schedules (their contract's `work`).
 */
export function startWorker(
  platform: WorkerDeps,
  extra: { jobs?: JobDefinition[]; schedules?: Schedule[]; loops?: readonly LeaderLoop[] } = {},
): Worker {
  const log = platform.log.child({ component: 'worker' });
  const prune = pruneJobsJob(platform.jobs, platform.clock);
  const runner = new JobRunner(platform.jobs, log, {
    concurrency: platform.config.jobConcurrency,
    pollIntervalMs: platform.config.jobPollIntervalMs,
  });
  const pruneRateLimits = pruneRateLimitsJob(platform.db);
  runner.register(prune, pruneRateLimits, platform.mail.deliveryJob, ...(extra.jobs ?? []));
  const scheduler = new Scheduler(platform.db, platform.jobs, platform.clock, log);
  scheduler.add({ name: 'jobs.prune', cron: '17 4 * * *', timeZone: 'UTC', job: prune, payload: { keepDays: 30 } });
  scheduler.add({
    name: 'rate_limits.prune',
    cron: '*/10 * * * *',
    timeZone: 'UTC',
    job: pruneRateLimits,
    payload: {},
  });
  for (const schedule of extra.schedules ?? []) scheduler.add(schedule);

  const leader = new LeaderLock(platform.database.admin, leaderLockKey, log);
  let ticker: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    scheduler.tick().catch((error: unknown) => log.warn({ err: error }, 'schedule tick failed'));
  };
  const loops = (extra.loops ?? []).map((loop) => leaderLoop(loop, log));
  leader.on('acquired', () => {
    if (stopped) return;
    scheduler.reset();
    tick();
    ticker = setInterval(tick, scheduleTickMs);
    for (const loop of loops) loop.start();
  });
  leader.on('lost', () => {
    clearInterval(ticker);
    for (const loop of loops) loop.stop();
  });
  leader.start();
  runner.start();

  return {
    runner,
    leader,
    scheduler,
    async stop() {
      stopped = true;
      clearInterval(ticker);
      await Promise.all(loops.map((loop) => loop.stop()));
      await leader.stop();
      await runner.stop(platform.config.shutdownGraceSeconds * 1000);
    },
  };
}

/**
 * A loop the leader runs: once at once, then every `everyMs` from the start of the last run; a run
 * still going when the next is due is not doubled (the next starts when it ends). `stop` waits
 * for the run under way.
 */
function leaderLoop(loop: LeaderLoop, log: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let active = false;
  const run = (): void => {
    const started = Date.now();
    running = loop
      .run()
      .catch((error: unknown) => log.warn({ err: error, loop: loop.name }, 'leader loop failed'))
      .finally(() => {
        running = undefined;
        if (active) timer = setTimeout(run, Math.max(0, loop.everyMs - (Date.now() - started)));
      });
  };
  return {
    start(): void {
      if (active) return;
      active = true;
      run();
    },
    async stop(): Promise<void> {
      active = false;
      clearTimeout(timer);
      await running;
    },
  };
}
