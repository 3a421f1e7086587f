import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { appError } from '../../platform/errors.js';
import { globalOptions, operator, withPlatform } from '../context.js';

export function registerTenantDelete(tenant: Command): void {
  tenant
    .command('delete <slug>')
    .description('delete a tenant, its database and its role, after confirmation')
    .option('-y, --yes', 'do not ask for the slug again (for scripts)')
    .action(async (slug: string, options: { yes?: boolean }, command: Command) => {
      if (!options.yes)
        await confirmSlug(slug, `This deletes tenant "${slug}" and all its data.`, 'nothing was deleted');
      await withPlatform(globalOptions(command), (platform) => platform.tenancy.delete(operator(), slug));
      process.stdout.write(`Deleted tenant ${slug}.\n`);
    });
}

/** Asks for the slug again after saying what will happen; refuses when there is no terminal to ask on. */
export async function confirmSlug(slug: string, what: string, otherwise: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw appError('CONFIRMATION_REQUIRED', `${what} Run it on a terminal to confirm, or pass --yes.`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${what} Type the slug to confirm: `);
    if (answer.trim() !== slug)
      throw appError('CONFIRMATION_REQUIRED', `You typed "${answer.trim()}", not "${slug}"; ${otherwise}.`);
  } finally {
    prompt.close();
  }
}
