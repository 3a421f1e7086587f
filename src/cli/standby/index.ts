import type { Command } from 'commander';
import { joinStandby } from '../../modules/replication/index.js';
import { appError } from '../../platform/errors.js';
import { commandSetup } from '../context.js';
import { createTransferProgress, printJson } from '../output.js';

/** `host`, `host:port` or `[v6]:port`; the port defaults to the embedded Postgres's default. */
export function parsePrimaryAddress(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  if (!match || port < 1 || port > 65535)
    throw appError(
      'VALIDATION_FAILED',
      `"${text}" is not an address: write the primary as host, host:port or [IPv6]:port, e.g. 10.0.0.1:${defaultPort}.`,
    );
  return { host: match[1] ?? match[2]!, port };
}

export function registerStandbyCommands(program: Command): void {
  const standby = program
    .command('standby')
    .description('this machine as a standby that follows a primary in another data centre');
  standby
    .command('join <primary>')
    .description(
      'copy the primary (host[:port]) over the TLS replication channel and follow it; then run "steadfast up"',
    )
    .option('--replace', 'this node is joining again (its copy was lost): replace its slot on the primary')
    .option('--json', 'print the result as JSON')
    .action(async (address: string, flags: { json?: boolean; replace?: boolean }, command: Command) => {
      const { config, log } = commandSetup(command);
      const primary = parsePrimaryAddress(address, config.postgresPort);
      const progress = createTransferProgress('copying the primary');
      // Ctrl-C stops the copy and cleans up (the partial copy, the slot on the primary).
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      try {
        result = await joinStandby(config, log, primary, {
          onProgress: (p) => progress.update(p),
          signal: stop.signal,
          replace: flags.replace,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        progress.stop();
      }
      if (flags.json) return printJson(result);
      process.stdout.write(
        `Copied the primary at ${primary.host}:${primary.port} (system ${result.systemIdentifier}): ${result.files} files, ${(result.bytes / 1048576).toFixed(1)} MB in ${result.seconds.toFixed(1)} s, into ${result.dataDir}.\n`,
      );
      process.stdout.write(
        `It holds the replication slot ${result.slot} there. Start following with "steadfast up"; it needs the primary's secret.key in ${config.home}.\n`,
      );
    });
}
