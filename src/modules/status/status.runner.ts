import type { Clock } from '../../platform/clock/clock.js';
import type { ProbeOutcome } from '../../platform/probes.js';
import type { StateFile } from '../../platform/storage/state-file.js';
import { checkProbe } from './status.checks.js';
import { readingsKeepDays } from './status.history.js';
import { probeTimeoutMs, type ProbePlan } from './status.service.js';

/** A reading kept until some platform process has it. */
export interface PendingReading {
  readonly componentId: string;
  readonly at: string;
  readonly state: ProbeOutcome['state'];
  readonly responseMs?: number;
  readonly message: string;
  readonly figures?: Readonly<Record<string, number>>;
}

/** Readings kept while no platform process answers: a day and more at 30 s with a dozen checks. */
export const maxBacklog = 50_000;
/** Readings sent per report. */
const reportBatch = 5_000;

export interface RunnerDeps {
  /** Base URLs of platform processes (the platform's public address; several for several processes). */
  readonly reportTo: readonly string[];
  readonly token: string;
  readonly clock: Clock;
  /** The last plan a platform gave (the runner goes on with it while none answers). */
  readonly plan: StateFile<ProbePlan>;
  /** Readings no platform process has acknowledged yet. */
  readonly backlog: StateFile<PendingReading[]>;
  readonly say: (line: string) => void;
  readonly fetch?: typeof fetch;
}

export interface RoundSummary {
  readonly checked: number;
  /** Where the readings went, or undefined when no process answered (they wait in the backlog). */
  readonly reportedTo: string | undefined;
  readonly backlog: number;
}

/**
 * The remote probe runner (`steadfast probe`): on another machine, it checks what its plan names
 * every round and reports to the first platform process that answers. While none answers, it
 * goes on with its last plan and keeps what it measured, and sends it all once one answers,
 * so an outage of the whole platform is measured from outside and lands in its minutes.
 */
export class ProbeRunner {
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: RunnerDeps) {
    this.fetch = deps.fetch ?? fetch;
  }

  async round(): Promise<RoundSummary> {
    const plan = await this.currentPlan();
    if (!plan) {
      this.deps.say('no platform process answered, and there is no plan from an earlier run yet: nothing to check');
      return { checked: 0, reportedTo: undefined, backlog: (await this.deps.backlog.read())?.length ?? 0 };
    }
    const measured = await Promise.all(plan.checks.map((check) => this.check(check)));
    const keptSince = this.deps.clock.now().getTime() - readingsKeepDays * 86_400_000;
    let backlog = [...((await this.deps.backlog.read()) ?? []), ...measured].filter(
      (reading) => Date.parse(reading.at) > keptSince,
    );
    if (backlog.length > maxBacklog) backlog = backlog.slice(backlog.length - maxBacklog);
    await this.deps.backlog.write(backlog);
    const reportedTo = await this.report(backlog);
    const left = reportedTo ? [] : backlog;
    if (reportedTo) await this.deps.backlog.write(left);
    return { checked: measured.length, reportedTo, backlog: left.length };
  }

  /** Rounds every plan interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = Date.now();
      const summary = await this.round().catch((error: unknown) => {
        this.deps.say(`round failed: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      });
      if (summary)
        this.deps.say(
          summary.reportedTo
            ? `checked ${summary.checked}, reported to ${summary.reportedTo}`
            : `checked ${summary.checked}; no platform process answered, ${summary.backlog} readings wait`,
        );
      const interval = ((await this.deps.plan.read())?.intervalSeconds ?? 30) * 1000;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, interval - (Date.now() - started)));
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private async check(check: ProbePlan['checks'][number]): Promise<PendingReading> {
    const at = this.deps.clock.now().toISOString();
    const signal = AbortSignal.timeout(probeTimeoutMs);
    const probe = checkProbe({ id: check.id, name: check.name, description: '' }, check.kind, check.target);
    const outcome = await probe.check(signal).catch((error: unknown): ProbeOutcome => ({
      state: 'major_outage',
      message: signal.aborted
        ? `no answer within ${probeTimeoutMs / 1000} s`
        : `failed: ${error instanceof Error ? error.message : String(error)}`,
    }));
    return {
      componentId: check.id,
      at,
      state: outcome.state,
      message: outcome.message,
      ...(outcome.responseMs === undefined ? {} : { responseMs: outcome.responseMs }),
      ...(outcome.figures ? { figures: outcome.figures } : {}),
    };
  }

  /** The plan of the first process that answers, kept for later; else the last one kept. */
  private async currentPlan(): Promise<ProbePlan | undefined> {
    for (const base of this.deps.reportTo) {
      try {
        const response = await this.fetch(`${base}/api/v1/probe/plan`, {
          headers: { authorization: `Bearer ${this.deps.token}` },
          signal: AbortSignal.timeout(probeTimeoutMs),
        });
        if (response.status === 401) await refusal(response);
        if (!response.ok) continue;
        const plan = (await response.json()) as ProbePlan;
        await this.deps.plan.write(plan);
        return plan;
      } catch (error) {
        if (error instanceof RefusedError) throw error;
        // This process does not answer: try the next one.
      }
    }
    return this.deps.plan.read();
  }

  /** Sends the backlog, oldest first, to the first process that takes it; the one that took it. */
  private async report(readings: readonly PendingReading[]): Promise<string | undefined> {
    for (const base of this.deps.reportTo) {
      try {
        for (let start = 0; start < readings.length; start += reportBatch) {
          const response = await this.fetch(`${base}/api/v1/probe/reports`, {
            method: 'POST',
            headers: { authorization: `Bearer ${this.deps.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ readings: readings.slice(start, start + reportBatch) }),
            signal: AbortSignal.timeout(probeTimeoutMs),
          });
          if (response.status === 401) await refusal(response);
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
        }
        return base;
      } catch (error) {
        if (error instanceof RefusedError) throw error;
      }
    }
    return undefined;
  }
}

class RefusedError extends Error {}

async function refusal(response: Response): Promise<never> {
  const problem = (await response.json().catch(() => ({}))) as { detail?: string };
  throw new RefusedError(`the platform refused this runner's token: ${problem.detail ?? `HTTP ${response.status}`}`);
}
