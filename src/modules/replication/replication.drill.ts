import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor } from '../../platform/actor.js';
import type { Config } from '../../platform/config/config.js';
import { appError } from '../../platform/errors.js';
import { percentile } from '../../platform/percentile.js';
import { pollUntil } from '../../platform/clock/clock.js';
import { removeTree } from '../../platform/storage/dirs.js';
import { createLogger, type Logger } from '../../platform/log/log.js';
import { DrillPair, drillTenant, type DrillNode } from './replication.drill-pair.js';
import { WriteLoad, type Acknowledged } from './replication.drill-load.js';
import { DirectWriter, waitUntilRefused } from './replication.drill-probes.js';
import { failover } from './replication.failover.js';
import { divergedCopies } from './replication.rejoin.js';

export type DrillMode = 'async' | 'sync';

export interface FailoverDrillOptions {
  readonly mode: DrillMode;
  readonly trials: number;
  /** Concurrent writers of the load. */
  readonly clients?: number;
  /** How long the load runs before each kill. */
  readonly loadSeconds?: number;
  /** Where the scratch pair is made (default: the system's temporary directory). */
  readonly directory?: string;
  readonly actor: Actor;
  readonly onStep?: (message: string) => void;
}

export interface DrillTrial {
  readonly trial: number;
  readonly killed: string;
  readonly promoted: string;
  /** Writes the HTTP API acknowledged during the trial. */
  readonly acknowledged: number;
  /** Of those, the ones the new primary does not have. */
  readonly lost: number;
  /** From the moment the first lost write was sent to the kill: the window of acknowledged work lost, at most (0 when nothing was). */
  readonly rpoMs: number;
  /** From the kill to the drill seeing the primary gone. */
  readonly detectionMs: number;
  /** The promotion (`steadfast failover --primary-is-down`), from detection to done. */
  readonly promotionMs: number;
  /** From the kill to the first write the HTTP API acknowledged on the new primary. */
  readonly rtoSeconds: number;
  /** The baseline: from the kill to the first write a client connected straight to the standby's PostgreSQL got through. */
  readonly directRtoSeconds: number;
  /** How the old primary came back as a standby: on its own data, or copied anew (its WAL had gone past the fork). */
  readonly oldPrimary: 'followed on its own data' | 'copied anew';
  readonly rebuildSeconds: number;
}

export interface FailoverDrillResult {
  readonly mode: DrillMode;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly trials: DrillTrial[];
  readonly acknowledged: number;
  readonly lost: number;
  readonly rpoP99Ms: number | null;
  readonly rtoP99Seconds: number | null;
  readonly rtoMaxSeconds: number | null;
  readonly directRtoP99Seconds: number | null;
  readonly passed: boolean;
  readonly problems: string[];
}

/** What the drill holds the platform to (ARCHITECTURE.md's promises, beaten): RTO on a standby within 30 s; synchronous mode loses nothing. */
const rtoPromiseSeconds = 30;

/**
 * `steadfast drill failover`: builds a scratch primary and standby (and an app process that
 * knows both), and `trials` times: runs a write load through the HTTP API, kills the primary
 * as a machine dies, promotes the standby as soon as the primary is seen gone, measures the
 * writes acknowledged but lost (RPO) and the time to the first write acknowledged again (RTO),
 * then starts the killed node, which follows the new primary as its standby; the roles swap
 * each trial. Nothing of the installation running it is touched.
 */
export async function runFailoverDrill(config: Config, options: FailoverDrillOptions): Promise<FailoverDrillResult> {
  const step = options.onStep ?? (() => undefined);
  const startedAt = new Date();
  const mode = options.mode === 'sync' ? 'sync' : 'async';
  // The scratch pair's own warnings (the killed primary unreachable, by design) are not the operator's.
  const quiet = createLogger('error', { component: 'failover-drill' }, config.logFormat);
  step(`making a scratch primary and standby (${mode})`);
  const pair = await DrillPair.create({ directory: options.directory ?? config.drillDirectory, mode, log: quiet });
  const trials: DrillTrial[] = [];
  const problems: string[] = [];
  try {
    await runTrials(pair, options, quiet, step, trials, problems);
  } catch (error) {
    problems.push(`the drill stopped: ${(error as Error).message}`);
  } finally {
    await pair.stop();
  }
  return summarise(mode, startedAt, trials, problems, options.trials);
}

/** The trials, the roles swapping each time; each one's result and problems added as it ends. */
async function runTrials(
  pair: DrillPair,
  options: FailoverDrillOptions,
  log: Logger,
  step: (message: string) => void,
  trials: DrillTrial[],
  problems: string[],
): Promise<void> {
  let primary = pair.nodes[0];
  for (let trial = 1; trial <= options.trials; trial++) {
    const result = await runTrial(pair, primary, trial, options, log, step);
    trials.push(result);
    if (result.acknowledged === 0)
      problems.push(`trial ${trial}: no write was acknowledged before the kill, so nothing was measured`);
    if (!Number.isFinite(result.directRtoSeconds))
      problems.push(
        `trial ${trial}: the baseline client connected straight to ${result.promoted} never got a write through`,
      );
    step(
      `trial ${trial}: ${result.lost} of ${result.acknowledged} acknowledged writes lost (RPO ${result.rpoMs.toFixed(0)} ms), RTO ${result.rtoSeconds.toFixed(2)} s (PostgreSQL alone ${result.directRtoSeconds.toFixed(2)} s), old primary ${result.oldPrimary} in ${result.rebuildSeconds.toFixed(1)} s`,
    );
    primary = pair.other(primary);
  }
}

/** The drill's figures over its trials, held to the promises. */
function summarise(
  mode: DrillMode,
  startedAt: Date,
  trials: DrillTrial[],
  problems: string[],
  planned: number,
): FailoverDrillResult {
  const lost = sum(trials.map((trial) => trial.lost));
  const rtoP99 = p99(trials.map((trial) => trial.rtoSeconds));
  if (mode === 'sync' && lost > 0)
    problems.push(`synchronous mode lost ${lost} acknowledged writes; it must lose none`);
  if (rtoP99 !== null && rtoP99 > rtoPromiseSeconds)
    problems.push(`RTO p99 ${rtoP99.toFixed(1)} s is over the ${rtoPromiseSeconds} s promised`);
  if (trials.length < planned && problems.length === 0) problems.push(`only ${trials.length} of ${planned} trials ran`);
  return {
    mode,
    startedAt,
    finishedAt: new Date(),
    trials,
    acknowledged: sum(trials.map((trial) => trial.acknowledged)),
    lost,
    rpoP99Ms: p99(trials.map((trial) => trial.rpoMs)),
    rtoP99Seconds: rtoP99,
    rtoMaxSeconds: trials.length ? Math.max(...trials.map((trial) => trial.rtoSeconds)) : null,
    directRtoP99Seconds: p99(trials.map((trial) => trial.directRtoSeconds)),
    passed: problems.length === 0,
    problems,
  };
}

async function runTrial(
  pair: DrillPair,
  primary: DrillNode,
  trial: number,
  options: FailoverDrillOptions,
  log: Logger,
  step: (message: string) => void,
): Promise<DrillTrial> {
  const standby = pair.other(primary);
  const firstSequence = trial * 1_000_000_000;
  const direct = await DirectWriter.open(standby);
  let load: WriteLoad | undefined;
  try {
    load = new WriteLoad(
      { port: pair.appPort, host: `${drillTenant}.${primary.config.baseDomain}`, token: pair.token },
      options.clients ?? 4,
      randomBytes(6).toString('hex'),
      firstSequence,
    );
    await sleep((options.loadSeconds ?? 2) * 1000);
    step(`trial ${trial}: killing ${primary.name} (the primary) under a write load`);
    const times = await killAndPromote(pair, primary, standby, options, log);
    const recovered = await firstAnswerFrom(load, standby, times.killedAt);
    const directAt = await Promise.race([direct.firstSuccess, sleep(60_000).then(() => Number.NaN)]);
    await sleep(300);
    await load.stop();
    const lost = await lostWrites(pair, standby, load, firstSequence);
    step(`trial ${trial}: rebuilding ${primary.name} as a standby of ${standby.name}`);
    const rebuilt = await rebuildOldPrimary(pair, primary, standby);
    const { killedAt } = times;
    return {
      trial,
      killed: primary.name,
      promoted: standby.name,
      acknowledged: load.journal.length,
      lost: lost.length,
      rpoMs: lost.length ? killedAt - Math.min(...lost.map((write) => write.sentAt)) : 0,
      detectionMs: times.detectedAt - killedAt,
      promotionMs: times.promotedAt - times.detectedAt,
      rtoSeconds: (recovered.at - killedAt) / 1000,
      directRtoSeconds: (directAt - killedAt) / 1000,
      ...rebuilt,
    };
  } finally {
    await load?.stop();
    await direct.close();
  }
}

/** Kills the primary as a machine dies and promotes the standby once the primary is seen gone: the moments (performance.now()). */
async function killAndPromote(
  pair: DrillPair,
  primary: DrillNode,
  standby: DrillNode,
  options: FailoverDrillOptions,
  log: Logger,
): Promise<{ killedAt: number; detectedAt: number; promotedAt: number }> {
  const killedAt = await pair.kill(primary);
  await waitUntilRefused(primary.config.postgresPort);
  const detectedAt = performance.now();
  await failover(standby.config, log, { primaryIsDown: true, actor: options.actor });
  return { killedAt, detectedAt, promotedAt: performance.now() };
}

/** Answers just after the kill may be for commits made before it: recovered is the first answer the new primary gave. */
function firstAnswerFrom(load: WriteLoad, standby: DrillNode, killedAt: number): Promise<Acknowledged> {
  return pollUntil(() => load.firstFrom(standby.config.postgresPort, killedAt), {
    timeoutMs: 60_000,
    intervalMs: 5,
    timeoutError: () =>
      appError(
        'DRILL_FAILED',
        `no write was acknowledged by the new primary (${standby.name}) through the HTTP API within 60 s of the kill; see the app process's log`,
      ),
  });
}

/** The acknowledged writes of this trial that the new primary does not have. */
async function lostWrites(
  pair: DrillPair,
  standby: DrillNode,
  load: WriteLoad,
  firstSequence: number,
): Promise<Acknowledged[]> {
  const rows = await pair.sql<{ sequence: number }>(standby, 'SELECT sequence FROM drill_writes WHERE sequence >= $1', [
    firstSequence,
  ]);
  const present = new Set(rows.map((row) => row.sequence));
  return load.journal.filter((write) => !present.has(write.sequence));
}

/** Starts the killed node again, until it follows the new primary: how it came back, and how long that took. */
async function rebuildOldPrimary(
  pair: DrillPair,
  primary: DrillNode,
  standby: DrillNode,
): Promise<Pick<DrillTrial, 'oldPrimary' | 'rebuildSeconds'>> {
  const rebuildStarted = performance.now();
  const copiesBefore = (await divergedCopies(primary.dataDir)).length;
  await pair.restart(primary);
  await pair.waitFollowing(standby, primary);
  const copies = await divergedCopies(primary.dataDir);
  // A scratch pair keeps nothing: the diverged copies a real node keeps for its operator go.
  await Promise.all(copies.map((copy) => removeTree(copy)));
  return {
    oldPrimary: copies.length > copiesBefore ? 'copied anew' : 'followed on its own data',
    rebuildSeconds: (performance.now() - rebuildStarted) / 1000,
  };
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/** The 99th percentile of the trials' figures; null before any trial ran. */
const p99 = (values: number[]): number | null => (values.length ? percentile(values, 99) : null);
