import { InvalidArgumentError, Option, type Command } from 'commander';
import type { OutboxEntry } from '../platform/mail/mail.js';
import { globalOptions, withPlatform } from './context.js';
import { printJson } from './output.js';

const present = (entry: OutboxEntry) => ({
  id: entry.id,
  createdAt: entry.created_at.toISOString(),
  tenant: entry.tenant_slug,
  kind: entry.kind,
  to: entry.recipient,
  subject: entry.subject,
  status: entry.status,
  attempts: entry.attempts,
  lastError: entry.last_error,
  sentAt: entry.sent_at?.toISOString() ?? null,
  body: entry.body,
});

/** One message as a reader sees it: who, what, how it went, and the text while it is kept. */
function describe(entry: ReturnType<typeof present>): string {
  const head = [
    `${entry.createdAt}  ${entry.status.toUpperCase()}  to ${entry.to}${entry.tenant ? ` (${entry.tenant})` : ''}`,
    `  Subject: ${entry.subject}`,
  ];
  if (entry.status === 'sent') head.push(`  Delivered ${entry.sentAt}; its text is not kept once delivered.`);
  if (entry.lastError) head.push(`  Last attempt (${entry.attempts}) failed: ${entry.lastError}`);
  const body = entry.body ? entry.body.replace(/^/gm, '  | ') : undefined;
  return [...head, ...(body ? [body] : [])].join('\n');
}

export function registerMailCommand(program: Command): void {
  const mail = program.command('mail').description('the mail Steadfast sends');
  mail
    .command('outbox')
    .description(
      'the newest messages first: with no SMTP server configured (smtpUrl) every message stays here to be read and passed on; with one, how each delivery went',
    )
    .option('--to <address>', 'only messages to this address')
    .option('--tenant <slug>', 'only messages about this workspace')
    .addOption(new Option('--limit <n>', 'at most this many messages').default(20).argParser(positive))
    .option('--json', 'print the messages as JSON')
    .action(async (options: { to?: string; tenant?: string; limit: number; json?: boolean }, command: Command) => {
      const entries = await withPlatform(globalOptions(command), (platform) =>
        platform.mail.list({ limit: options.limit, to: options.to, tenant: options.tenant }),
      );
      const shown = entries.map(present);
      if (options.json) return printJson(shown);
      if (shown.length === 0) {
        process.stdout.write('The outbox is empty: no mail has been sent yet.\n');
        return;
      }
      process.stdout.write(`${shown.map(describe).join('\n\n')}\n`);
    });
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('It must be a whole number from 1 to 1000.');
  return n;
}
