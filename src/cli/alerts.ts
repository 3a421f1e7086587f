import type { Command } from 'commander';
import { globalOptions, withPlatform } from './context.js';
import { printJson, printTable } from './output.js';

const actor = 'operator:cli';

/** Alert rules and channels from the command line (the console has the same). */
export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('alert rules over the probes, and where alerts go');
  alerts
    .command('list')
    .description('what fires now, and the last notices sent')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const [firing, notices] = await withPlatform(globalOptions(command), (platform) =>
        Promise.all([platform.alerts.firing(), platform.alerts.notices(20)]),
      );
      if (options.json) return printJson({ firing, notices });
      printTable(
        firing.map((a) => ({ rule: a.ruleId, subject: a.subject, since: a.since.toISOString(), message: a.message })),
        'Nothing fires.',
      );
      process.stdout.write('\n');
      printTable(
        notices.map((n) => ({ at: n.at.toISOString(), notice: n.kind, rule: n.rule_id, subject: n.subject })),
        'No notices sent yet.',
      );
    });
  alerts
    .command('rules')
    .description('the rules and their thresholds')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const rules = await withPlatform(globalOptions(command), (platform) => platform.alerts.rules());
      if (options.json) return printJson(rules);
      printTable(
        rules.map((r) => ({
          rule: r.id,
          name: r.name,
          when: r.kind === 'state' ? 'down' : `${r.figure} ${r.op} ${r.threshold}`,
          checks: String(r.for_checks),
          enabled: r.enabled ? 'yes' : 'no',
        })),
        'No rules.',
      );
    });
  alerts
    .command('rule <id>')
    .description('change a rule')
    .option('--threshold <n>', 'the figure it compares against', Number)
    .option('--for-checks <n>', 'bad checks in a row before it fires (and good ones before it recovers)', Number)
    .option('--enable', 'turn it on')
    .option('--disable', 'turn it off')
    .action(
      async (
        id: string,
        options: { threshold?: number; forChecks?: number; enable?: boolean; disable?: boolean },
        command: Command,
      ) => {
        if (options.enable && options.disable) throw new Error('Say --enable or --disable, not both.');
        for (const [name, value] of [
          ['--threshold', options.threshold],
          ['--for-checks', options.forChecks],
        ] as const)
          if (value !== undefined && !Number.isFinite(value)) throw new Error(`${name} takes a number.`);
        const rule = await withPlatform(globalOptions(command), (platform) =>
          platform.alerts.changeRule(
            id,
            {
              threshold: options.threshold,
              forChecks: options.forChecks,
              enabled: options.enable ? true : options.disable ? false : undefined,
            },
            actor,
          ),
        );
        process.stdout.write(
          `${rule.id}: ${rule.enabled ? 'on' : 'off'}, fires after ${rule.for_checks} bad check(s)${rule.threshold === null ? '' : `, ${rule.figure} ${rule.op} ${rule.threshold}`}.\n`,
        );
      },
    );
  const channel = alerts.command('channel').description('where alerts go: email addresses and webhooks');
  channel
    .command('add <name>')
    .description('add an email address (--email) or a webhook (--webhook); a webhook’s signing secret is printed once')
    .option('--email <address>', 'send alerts to this address')
    .option('--webhook <url>', 'POST alerts as signed JSON to this URL')
    .action(async (name: string, options: { email?: string; webhook?: string }, command: Command) => {
      if (Boolean(options.email) === Boolean(options.webhook))
        throw new Error('Give the channel one of --email <address> or --webhook <url>.');
      const added = await withPlatform(globalOptions(command), (platform) =>
        platform.alerts.addChannel(
          options.email
            ? { name, kind: 'email', target: options.email }
            : { name, kind: 'webhook', target: options.webhook! },
          actor,
        ),
      );
      process.stdout.write(`Added the channel ${name} (id ${added.channel.id}).\n`);
      if (added.secret)
        process.stdout.write(
          `Its signing secret (shown this once; check Steadfast-Signature with it):\n  ${added.secret}\n`,
        );
    });
  channel
    .command('list')
    .description('the channels')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const channels = await withPlatform(globalOptions(command), (platform) => platform.alerts.channels());
      if (options.json) return printJson(channels);
      printTable(
        channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind, target: c.target })),
        'No channels: alerts are only in the console and the log. Add one: steadfast alerts channel add <name> --email <address>',
      );
    });
  channel
    .command('remove <id>')
    .description('remove a channel')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withPlatform(globalOptions(command), (platform) => platform.alerts.removeChannel(id, actor));
      process.stdout.write(`Removed channel ${id}.\n`);
    });
  channel
    .command('test <id>')
    .description('send a test alert to a channel')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withPlatform(globalOptions(command), (platform) => platform.alerts.test(id, actor));
      process.stdout.write(`A test alert to channel ${id} is on its way (email goes through the outbox).\n`);
    });
}
