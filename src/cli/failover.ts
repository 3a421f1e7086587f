import type { Command } from 'commander';
import { failover, type FailoverResult } from '../modules/replication/index.js';
import { commandSetup, operator } from './context.js';
import { printJson } from './output.js';

export function registerFailoverCommands(program: Command): void {
  program
    .command('switchover')
    .description(
      'on a standby: planned role swap with nothing lost; the primary stops writes for a moment, this node takes over, the old primary follows it',
    )
    .option('--json', 'print the result as JSON')
    .action((flags: { json?: boolean }, command: Command) => run(command, { planned: true, json: flags.json }));
  program
    .command('failover')
    .description(
      'on a standby: fence the primary (stop it over the node control API), then promote this node; the old primary follows it once it can',
    )
    .option(
      '--primary-is-down',
      'the primary cannot be reached and you know it is down (powered off, cut off): promote without fencing it',
    )
    .option('--json', 'print the result as JSON')
    .action((flags: { json?: boolean; primaryIsDown?: boolean }, command: Command) =>
      run(command, { primaryIsDown: flags.primaryIsDown, json: flags.json }),
    );
}

async function run(
  command: Command,
  flags: { planned?: boolean; primaryIsDown?: boolean; json?: boolean },
): Promise<void> {
  const { config, log } = commandSetup(command);
  const result = await failover(config, log, {
    planned: flags.planned === true,
    primaryIsDown: flags.primaryIsDown === true,
    actor: operator(),
    onStep: flags.json ? undefined : (message) => process.stdout.write(`${message}\n`),
  });
  if (flags.json) return printJson(result);
  process.stdout.write(describe(result));
}

function describe(result: FailoverResult): string {
  const loss =
    result.caughtUp === true
      ? 'nothing was lost'
      : result.caughtUp === false
        ? `${result.missingBytes} bytes of the old primary's WAL never arrived here and are lost`
        : 'the old primary was not reached, so what it had last is unknown (in asynchronous mode, the last moments before it went down)';
  const next =
    result.oldPrimary.fencing === 'stood down'
      ? `The old primary at ${result.oldPrimary.host} stood down and will follow this node.`
      : `When the old primary at ${result.oldPrimary.host} comes back it finds this node primary and follows it; it never starts as a primary again.`;
  return `This node is the primary now, on timeline ${result.timeline} (${result.seconds.toFixed(1)} s); ${loss}.\n${next}\n`;
}
