import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/log.js';
import type { JobDefinition, JobQueue, JobRow } from './queue.js';

export interface RunnerOptions {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
}

/**
 * Runs queued jobs in this process: claims due jobs (any process may), runs each under
 * its timeout, records the result, and retries with backoff until its attempts are used.
 */
export class JobRunner {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  /** Set by stop(): no more claiming. poll() works before start() so tests can drive it by hand. */
  private stopped = false;
  private started = false;
  private polling: Promise<number> | undefined;

  constructor(
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly options: RunnerOptions,
  ) {}

  register(...definitions: JobDefinition[]): this {
    for (const definition of definitions) this.definitions.set(definition.type, definition);
    return this;
  }

  start(): void {
    this.started = true;
    this.schedulePoll(0);
  }

  /** Stops claiming, aborts running jobs after `graceMs` and waits for them to settle. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling; // a claim under way finishes, and its job is waited for below
    const all = [...this.running.values()];
    const grace = setTimeout(
      () => all.forEach(({ controller }) => controller.abort(new Error('the worker is shutting down'))),
      graceMs,
    );
    await Promise.all(all.map(({ done }) => done));
    clearTimeout(grace);
  }

  /** Claims and runs due jobs until the queue is empty or all slots are busy. Exposed for tests. */
  async poll(): Promise<number> {
    if (this.polling) return this.polling;
    this.polling = this.claimDue().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async claimDue(): Promise<number> {
    let started = 0;
    try {
      await this.queue.requeueExpired();
      while (!this.stopped && this.running.size < this.options.concurrency) {
        const job = await this.queue.claim(this.workerId, [...this.definitions.keys()]);
        if (!job) break;
        started++;
        this.track(job);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not poll the job queue; will try again');
    }
    return started;
  }

  /** Resolves when every job this runner started has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map(({ done }) => done));
  }

  private track(job: JobRow): void {
    const controller = new AbortController();
    // Keyed by attempt: a job that fails fast can be claimed again (its next attempt) before this
    // attempt's cleanup runs, and that cleanup must not forget the new attempt.
    const key = `${job.id}#${job.attempts}`;
    const done = this.execute(job, controller).finally(() => {
      this.running.delete(key);
      if (!this.stopped) this.schedulePoll(0);
    });
    this.running.set(key, { controller, done });
  }

  private async execute(job: JobRow, controller: AbortController): Promise<void> {
    const definition = this.definitions.get(job.type)!;
    const log = this.log.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
    const timeout = setTimeout(
      () => controller.abort(new Error(`timed out after ${job.timeout_seconds} s`)),
      job.timeout_seconds * 1000,
    );
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true }),
    );
    aborted.catch(() => undefined);
    try {
      const payload = definition.schema.parse(job.payload);
      const context = {
        jobId: job.id,
        attempt: job.attempts,
        signal: controller.signal,
        progress: (progress: Parameters<JobQueue['reportProgress']>[1]) => this.queue.reportProgress(job.id, progress),
      };
      const result = await Promise.race([definition.handle(payload, context), aborted]);
      await this.queue.succeed(job, result);
      log.info('job succeeded');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await this.queue.fail(job, message).catch((failError: unknown) => {
        log.error({ err: failError }, 'could not record a job failure');
        return 'unknown';
      });
      log.warn({ err: error, outcome }, 'job failed');
    } finally {
      clearTimeout(timeout);
    }
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped || !this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll(this.options.pollIntervalMs));
    }, delayMs);
  }
}
