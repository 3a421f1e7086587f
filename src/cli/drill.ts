import { type Command, Option } from 'commander';
import { runFailoverDrill, type DrillMode, type FailoverDrillResult } from '../modules/replication/index.js';
import { recordFailoverDrill } from '../modules/replication/index.js';
import { appError } from '../platform/errors.js';
import { configFrom, globalOptions, operator, withPlatform } from './context.js';
import { printJson } from './output.js';

export function registerDrillCommands(program: Command): void {
  const drill = program
    .command('drill')
    .description('drills that prove a promise by breaking a scratch copy of the platform');
  drill
    .command('failover')
    .description(
      'on a scratch primary and standby made for it: write through the HTTP API, kill the primary (SIGKILL), promote the standby, measure the acknowledged writes lost (RPO) and the time to the next acknowledged write (RTO), rebuild the old primary as a standby; record the result',
    )
    .addOption(
      new Option(
        '--mode <mode>',
        "replication mode of the scratch pair (default: this installation's, sync for any synchronous one)",
      ).choices(['async', 'sync', 'both']),
    )
    .option('--trials <n>', 'kills per mode, the roles swapping each time', '3')
    .option('--json', 'print the results as JSON')
    .action(async (flags: { mode?: DrillMode | 'both'; trials: string; json?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const config = configFrom(global);
      const trials = Number(flags.trials);
      if (!Number.isInteger(trials) || trials < 1 || trials > 100)
        throw appError('VALIDATION_FAILED', `--trials must be a whole number from 1 to 100, not "${flags.trials}".`);
      const mode = flags.mode ?? (config.replicationMode === 'async' ? 'async' : 'sync');
      const modes: DrillMode[] = mode === 'both' ? ['sync', 'async'] : [mode];
      const results: FailoverDrillResult[] = [];
      for (const each of modes) {
        results.push(
          await runFailoverDrill(config, {
            mode: each,
            trials,
            actor: operator(),
            onStep: flags.json ? undefined : (message) => process.stdout.write(`${message}\n`),
          }),
        );
      }
      const recorded = await withPlatform(global, async (platform) => {
        for (const result of results) await recordFailoverDrill(platform.db, result);
      }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (results.some((result) => !result.passed)) process.exitCode = 1;
      if (flags.json)
        return printJson({ results, recorded: recorded === undefined, ...(recorded ? { notRecorded: recorded } : {}) });
      for (const result of results) process.stdout.write(describe(result));
      process.stdout.write(
        recorded
          ? `\nNot recorded in this installation: ${recorded}\n`
          : '\nRecorded for the status page ("steadfast status" shows the last drill of each mode).\n',
      );
    });
}

function describe(result: FailoverDrillResult): string {
  const lines = [
    `\nFailover drill (${result.mode}) ${result.passed ? 'PASSED' : 'FAILED'}: ${result.trials.length} trial(s), ${result.lost} of ${result.acknowledged} acknowledged writes lost.`,
    `  RPO p99 ${fixed(result.rpoP99Ms, 0)} ms; RTO p99 ${fixed(result.rtoP99Seconds, 2)} s, worst ${fixed(result.rtoMaxSeconds, 2)} s (from the kill to the first write acknowledged through the HTTP API; PostgreSQL alone, for a client connected straight to the standby: p99 ${fixed(result.directRtoP99Seconds, 2)} s).`,
    '  The drill promotes as soon as it sees the primary gone; a monitor that probes every 5 s and waits for 3 failures before running "steadfast failover" adds up to 15 s to that.',
  ];
  for (const problem of result.problems) lines.push(`  problem: ${problem}`);
  return `${lines.join('\n')}\n`;
}

const fixed = (value: number | null, digits: number): string => (value === null ? '-' : value.toFixed(digits));
