import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../platform/clock/clock.js';
import { stateFile } from '../platform/storage/state-file.js';
import { ProbeRunner, type PendingReading, type ProbePlan } from '../modules/status/index.js';
import { globalOptions, withPlatform } from './context.js';
import { printJson, printTable } from './output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The remote probe runner, and the probe locations it reports as. */
export function registerProbeCommand(program: Command): void {
  const probe = program
    .command('probe')
    .description(
      'run probes from this machine and report them to the platform (on another machine than the platform, so monitoring outlives it)',
    )
    .option(
      '--report-to <url>',
      "a platform process's public address, e.g. https://example.com (repeat for several: the first that answers gets the readings)",
      collect,
      [],
    )
    .option(
      '--state-dir <dir>',
      'where the last plan and unsent readings are kept',
      path.join(os.homedir(), '.steadfast-probe'),
    )
    .option('--once', 'one round, then exit (0 when a platform process took the readings)')
    .action(async (options: { reportTo: string[]; stateDir: string; once?: boolean }) => {
      const token = process.env.STEADFAST_PROBE_TOKEN;
      if (options.reportTo.length === 0)
        throw new Error(
          'Say where to report: --report-to <the platform’s public address>, e.g. --report-to https://example.com.',
        );
      if (!token)
        throw new Error(
          'Set STEADFAST_PROBE_TOKEN to the location’s token (on the platform: steadfast probe location add <name>). It is read from the environment so it never shows in a process list.',
        );
      const damaged = (file: string) =>
        new Error(`${file} is not readable JSON; remove it and the runner starts afresh.`);
      const runner = new ProbeRunner({
        reportTo: options.reportTo.map((url) => url.replace(/\/+$/, '')),
        token,
        clock: systemClock,
        plan: stateFile<ProbePlan>(path.join(options.stateDir, 'plan.json'), { damaged }),
        backlog: stateFile<PendingReading[]>(path.join(options.stateDir, 'backlog.json'), { damaged }),
        say: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
      });
      if (options.once) {
        const summary = await runner.round();
        process.stdout.write(
          summary.reportedTo
            ? `Checked ${summary.checked}; reported to ${summary.reportedTo}.\n`
            : `Checked ${summary.checked}; no platform process answered: ${summary.backlog} readings wait in ${options.stateDir}.\n`,
        );
        process.exitCode = summary.reportedTo ? 0 : 1;
        return;
      }
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      await runner.run(stop.signal);
    });

  const location = probe.command('location').description('the places remote probe runners report from');
  location
    .command('add <name>')
    .description('add a probe location and print its token (once: give it to the runner as STEADFAST_PROBE_TOKEN)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const added = await withPlatform(globalOptions(command), (platform) =>
        platform.status.locations.add(name, 'operator:cli'),
      );
      process.stdout.write(
        `Added the probe location ${name}. Its token (shown this once):\n  ${added.token}\nOn the probing machine:\n  STEADFAST_PROBE_TOKEN=<the token> steadfast probe --report-to <the platform's public address>\n`,
      );
    });
  location
    .command('list')
    .description('probe locations and when each last reported')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const list = await withPlatform(globalOptions(command), (platform) => platform.status.locations.list());
      if (options.json) return printJson(list);
      printTable(
        list.map((l) => ({
          name: l.name,
          'last report': l.lastReportAt?.toISOString() ?? 'never',
          status: l.revokedAt ? `revoked ${l.revokedAt.toISOString()}` : 'active',
        })),
        'No probe locations yet. Add one with: steadfast probe location add <name>',
      );
    });
  location
    .command('revoke <name>')
    .description("revoke a location's token: its runner's next report is refused")
    .action(async (name: string, _options: unknown, command: Command) => {
      await withPlatform(globalOptions(command), (platform) => platform.status.locations.revoke(name, 'operator:cli'));
      process.stdout.write(`Revoked ${name}.\n`);
    });
}
