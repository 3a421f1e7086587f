/**
 * npm run bench -- failover [trials]
 *
 * The failover drill (`steadfast drill failover`), `trials` kills (10 by default) in each mode,
 * synchronous then asynchronous, on a scratch primary and standby on loopback, with the app
 * tier in a process of its own reaching them through DATABASE_URL's host list:
 *  - RPO: writes acknowledged through the HTTP API and missing on the new primary (count, and
 *    the time window they cover);
 *  - RTO: from the kill (every PostgreSQL process of the primary frozen, then killed) to the
 *    first write acknowledged through the HTTP API that was made on the new primary, the drill
 *    promoting as soon as it sees the primary's port closed;
 *  - the baseline, measured in the same trials: a client connected straight to the standby's
 *    PostgreSQL, writing every 5 ms, which gets through the moment promotion ends.
 */
import { runFailoverDrill, type FailoverDrillResult } from '../src/modules/replication/index.js';
import { loadConfig } from '../src/platform/config/config.js';
import { percentile, printResult, round } from './lib.js';

const trials = Number(process.argv[2] ?? 10);
const config = loadConfig({ env: {}, overrides: { logLevel: 'warn' } });
const results: FailoverDrillResult[] = [];
for (const mode of ['sync', 'async'] as const) {
  const result = await runFailoverDrill(config, {
    mode,
    trials,
    actor: { kind: 'system', name: 'bench' },
    onStep: (line) => (line.includes('lost') ? console.log(line) : undefined),
  });
  results.push(result);
  console.log(
    `${mode}: ${result.trials.length} trials, ${result.lost} of ${result.acknowledged} acknowledged writes lost; RPO p99 ${round(result.rpoP99Ms ?? Number.NaN, 1)} ms; ` +
      `RTO p50 ${round(
        percentile(
          result.trials.map((t) => t.rtoSeconds),
          50,
        ),
        3,
      )} s, p99 ${round(result.rtoP99Seconds ?? Number.NaN, 3)} s; PostgreSQL alone p99 ${round(result.directRtoP99Seconds ?? Number.NaN, 3)} s; ` +
      `old primaries: ${result.trials.filter((t) => t.oldPrimary === 'copied anew').length} copied anew, the rest followed on their own data${result.problems.length ? `; problems: ${result.problems.join('; ')}` : ''}`,
  );
}
const [sync, async] = results as [FailoverDrillResult, FailoverDrillResult];
const all = results.flatMap((result) => result.trials);
const rtoP99 = percentile(
  all.map((trial) => trial.rtoSeconds),
  99,
);
const directP99 = percentile(
  all.map((trial) => trial.directRtoSeconds),
  99,
);
console.log(
  `detection: the drill saw the primary gone ${round(
    percentile(
      all.map((t) => t.detectionMs),
      50,
    ),
    1,
  )} ms after the kill (p50); a monitor probing every 5 s that declares the primary down after 3 failed probes adds up to 15 s.`,
);
printResult('failover', {
  sync_rpo_writes: sync.lost,
  async_rpo_writes: async.lost,
  async_rpo_p99_ms: round(async.rpoP99Ms ?? Number.NaN, 1),
  rto_p99_s: round(rtoP99, 3),
  rto_p50_s: round(
    percentile(
      all.map((trial) => trial.rtoSeconds),
      50,
    ),
    3,
  ),
  direct_rto_p99_s: round(directP99, 3),
  rto_ratio_vs_direct: round(rtoP99 / directP99, 2),
  promotion_p50_ms: round(
    percentile(
      all.map((trial) => trial.promotionMs),
      50,
    ),
    1,
  ),
  trials: all.length,
});
