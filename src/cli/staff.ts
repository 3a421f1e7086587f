import type { Command } from 'commander';
import { setupLinkHours } from '../modules/identity/index.js';
import { globalOptions, withPlatform } from './context.js';
import { printJson, printTable } from './output.js';

const linkText = (email: string, link: string) =>
  `${email} sets a password and an authenticator app here (the link works once, within ${setupLinkHours} hours; hand it over yourself, it is not mailed):\n  ${link}\n`;

/** The platform's staff: the people who sign in to the console and, under a grant, enter a workspace. */
export function registerStaffCommand(program: Command): void {
  const staff = program
    .command('staff')
    .description('the platform’s staff accounts: they sign in to the console on console.<base domain>');
  staff
    .command('create <email>')
    .description('make a staff account and print a one-time setup link (password and authenticator app, both required)')
    .option('--name <name>', 'the name shown in audit logs (default: the part of the address before @)')
    .action(async (email: string, options: { name?: string }, command: Command) => {
      const made = await withPlatform(globalOptions(command), (platform) =>
        platform.staff.create({ email, name: options.name ?? email.split('@')[0]! }, 'operator:cli'),
      );
      process.stdout.write(`Made the staff account ${made.staff.email}.\n${linkText(made.staff.email, made.link)}`);
    });
  staff
    .command('link <email>')
    .description(
      'a new setup link for a staff account (lost phone, forgotten password): its password, app and sessions are cleared',
    )
    .action(async (email: string, _options: unknown, command: Command) => {
      const link = await withPlatform(globalOptions(command), (platform) =>
        platform.staff.renewSetup(email, 'operator:cli'),
      );
      process.stdout.write(linkText(email.trim().toLowerCase(), link));
    });
  staff
    .command('disable <email>')
    .description('disable a staff account: its console and support sessions end at once')
    .action(async (email: string, _options: unknown, command: Command) => {
      await withPlatform(globalOptions(command), (platform) => platform.staff.disable(email, 'operator:cli'));
      process.stdout.write(`Disabled ${email}. "steadfast staff link ${email}" makes it usable again.\n`);
    });
  staff
    .command('list')
    .description('every staff account and whether it is set up')
    .option('--json', 'print the accounts as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const list = await withPlatform(globalOptions(command), (platform) => platform.staff.list());
      if (options.json) return printJson(list);
      printTable(
        list.map((s) => ({ email: s.email, name: s.name, status: s.status, created: s.createdAt.toISOString() })),
        'No staff accounts yet. Make the first with: steadfast staff create <email>',
      );
    });
}
