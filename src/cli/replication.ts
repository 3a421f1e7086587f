import type { Command } from 'commander';
import {
  callNode,
  controlAddressHere,
  effectiveMode,
  nodeTls,
  readModeOverride,
  tlsPaths,
} from '../modules/replication/index.js';
import { describeActor } from '../platform/actor.js';
import { appError } from '../platform/errors.js';
import { configFrom, globalOptions, operator } from './context.js';
import { printJson } from './output.js';

export function registerReplicationCommands(program: Command): void {
  const replication = program.command('replication').description('replication settings of the running primary');
  replication
    .command('mode [mode]')
    .description(
      'show the mode, or set it: "async" (commits stop waiting for a standby, e.g. while the synchronous one is gone) or "configured" (back to replicationMode); audited',
    )
    .option('--reason <text>', 'why, for the audit log (required to change the mode)')
    .option('--json', 'print the result as JSON')
    .action(async (mode: string | undefined, flags: { reason?: string; json?: boolean }, command: Command) => {
      const config = configFrom(globalOptions(command));
      if (mode === undefined) {
        const override = await readModeOverride(config.home);
        const shown = { mode: effectiveMode(config, override), configured: config.replicationMode, override };
        if (flags.json) return printJson(shown);
        process.stdout.write(
          override
            ? `async (replicationMode is ${config.replicationMode}; set to async by ${override.by} at ${override.at}: ${override.reason})\n`
            : `${config.replicationMode}\n`,
        );
        return;
      }
      if (mode !== 'async' && mode !== 'configured')
        throw appError(
          'VALIDATION_FAILED',
          `"${mode}" is not a mode to set: use "async" (stop waiting for a standby) or "configured" (back to replicationMode, now ${config.replicationMode}).`,
        );
      if (!flags.reason)
        throw appError('VALIDATION_FAILED', 'Say why with --reason "<text>": the change goes into the audit log.');
      const tls = await nodeTls(config.home);
      if (!tls)
        throw appError(
          'TLS_INCOMPLETE',
          `This node has no TLS files in ${tlsPaths(config.home).dir}; the mode is changed through its node control API, which needs them.`,
        );
      const result = await callNode<{ mode: string; configured: string }>(
        tls,
        controlAddressHere(config),
        'POST',
        '/v1/replication-mode',
        { mode, reason: flags.reason, actor: describeActor(operator()) },
      );
      if (flags.json) return printJson(result);
      process.stdout.write(
        result.mode === 'async' && result.configured !== 'async'
          ? `Commits no longer wait for a standby (async; replicationMode is ${result.configured}). Run "steadfast replication mode configured --reason ..." to wait again.\n`
          : `Replication runs as configured: ${result.mode}.\n`,
      );
    });
}
