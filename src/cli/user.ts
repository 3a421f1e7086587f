import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Platform } from '../app/deps.js';
import type { Role } from '../modules/identity/index.js';
import { globalOptions, withPlatform } from './context.js';
import { printJson, printTable } from './output.js';

const roles: Role[] = ['owner', 'admin', 'member', 'viewer'];

/** The link a person opens to choose their password: the workspace's address with the token in its #fragment. */
async function linkFor(platform: Platform, tenant: string, email: string, hours: number): Promise<string> {
  const token = await platform.identity.passwordLink(tenant, email, { hours, actor: 'operator:cli' });
  const url = platform.tenancy.present(await platform.tenancy.resolveActive(tenant)).url;
  return `${url}/reset-password#token=${token}`;
}

function hoursOption(): Option {
  return new Option('--hours <n>', 'how long the link works').default(24).argParser((value) => {
    const hours = Number(value);
    if (!Number.isInteger(hours) || hours < 1 || hours > 168)
      throw new InvalidArgumentError('It must be a whole number of hours from 1 to 168 (a week).');
    return hours;
  });
}

const linkText = (email: string, link: string, hours: number) =>
  `${email} chooses a password here (the link works once, within ${hours} hours; hand it over yourself, it is not mailed):\n  ${link}\n`;

export function registerUserCommand(program: Command): void {
  const user = program
    .command('user')
    .description("a workspace's people, from the host (for the first owner, or a locked-out one)");
  user
    .command('list <tenant>')
    .description("the workspace's members and their roles")
    .option('--json', 'print the members as JSON')
    .action(async (tenant: string, options: { json?: boolean }, command: Command) => {
      const members = await withPlatform(globalOptions(command), (platform) => platform.identity.members(tenant));
      if (options.json) return printJson(members);
      printTable(
        members.map((m) => ({ email: m.email, name: m.name, role: m.role })),
        'No members yet.',
      );
    });
  user
    .command('add <tenant> <email>')
    .description('make an account and print a one-time link for its owner to choose a password')
    .addOption(new Option('--role <role>', 'what the person may do').choices(roles).default('member'))
    .option('--name <name>', 'the name shown to others (default: the part of the address before @)')
    .addOption(hoursOption())
    .action(async (tenant: string, email: string, options: { role: Role; name?: string; hours: number }, command) => {
      const link = await withPlatform(globalOptions(command as Command), async (platform) => {
        await platform.identity.createUser(
          tenant,
          { email, name: options.name ?? email.split('@')[0]!, role: options.role },
          { actor: 'operator:cli' },
        );
        return linkFor(platform, tenant, email, options.hours);
      });
      process.stdout.write(`Added ${email} to ${tenant} as ${options.role}.\n${linkText(email, link, options.hours)}`);
    });
  user
    .command('link <tenant> <email>')
    .description('print a one-time link for a member to choose a new password (earlier links stop working)')
    .addOption(hoursOption())
    .action(async (tenant: string, email: string, options: { hours: number }, command: Command) => {
      const link = await withPlatform(globalOptions(command), (platform) =>
        linkFor(platform, tenant, email, options.hours),
      );
      process.stdout.write(linkText(email, link, options.hours));
    });
}
