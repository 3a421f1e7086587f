import type { Command } from 'commander';
import { collectStatus } from '../app/status.js';
import { commandLogger, configFrom, globalOptions } from './context.js';
import { printJson } from './output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'what runs, the tenants, the latest backup and WAL archiving, and what needs attention (starts nothing)',
    )
    .option('--json', 'print the status as JSON')
    .option('--check', 'exit 1 when anything needs attention (for monitoring)')
    .action(async (options: { json?: boolean; check?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const config = configFrom(global);
      const status = await collectStatus(config, commandLogger(config, global));
      if (options.json) printJson(status);
      else {
        const pg = status.postgres;
        process.stdout.write(
          `PostgreSQL: ${pg.mode}, ${pg.running ? `running (pid ${pg.pid ?? '-'}, port ${pg.port ?? '-'})` : 'not running'}\n`,
        );
        process.stdout.write(
          `Server:     ${status.server.running ? `running (pid ${status.server.pid}, http port ${status.server.httpPort})` : 'not running'}\n`,
        );
        if (status.tenants)
          process.stdout.write(
            `Tenants:    ${status.tenants.total} (${
              Object.entries(status.tenants.byStatus)
                .map(([s, n]) => `${n} ${s}`)
                .join(', ') || 'none'
            })\n`,
          );
        const latest = status.backups.latest;
        process.stdout.write(
          `Backups:    ${status.backups.count}${latest ? `; latest ${latest.id}, ${latest.ageHours} h ago, in ${latest.repositories.join(', ')}` : ''}\n`,
        );
        for (const repository of status.backups.repositories)
          process.stdout.write(
            `  ${repository.name}: ${repository.backups} backup(s), last WAL ${repository.lastWal ?? 'none'}${repository.error ? `, error: ${repository.error}` : ''}\n`,
          );
        if (status.walSpooled !== undefined) process.stdout.write(`WAL spool:  ${status.walSpooled} file(s) waiting\n`);
        const drill = status.drills?.last;
        if (status.drills) {
          process.stdout.write(
            `Drills:     ${drill ? `last ${drill.passed ? 'passed' : 'FAILED'} at ${drill.finishedAt}${drill.rpoSeconds === null ? '' : `, RPO ${drill.rpoSeconds} s`}${drill.restoreMbS === null ? '' : `, restore ${drill.restoreMbS} MB/s`}` : 'none yet'}${status.drills.lastPassedAt && !drill?.passed ? `; last passed ${status.drills.lastPassedAt}` : ''}\n`,
          );
        }
        for (const drill of status.failoverDrills ?? []) {
          process.stdout.write(
            `Failover drill (${drill.mode}): last ${drill.passed ? 'passed' : 'FAILED'} at ${drill.finishedAt}, ${drill.trials} trial(s), ${drill.lost} acknowledged write(s) lost${drill.rpoP99Ms === null ? '' : `, RPO p99 ${drill.rpoP99Ms.toFixed(0)} ms`}${drill.rtoP99Seconds === null ? '' : `, RTO p99 ${drill.rtoP99Seconds.toFixed(2)} s`}\n`,
          );
        }
        const replication = status.replication;
        if (replication?.role === 'primary') {
          process.stdout.write(
            `Replication: primary on timeline ${replication.timeline}, WAL at ${replication.currentLsn}; ${replication.standbys.length} standby(s) connected\n`,
          );
          for (const seen of replication.standbys) {
            const lag = [
              seen.lagBytes === null ? undefined : `${(seen.lagBytes / 1024).toFixed(0)} kB behind`,
              seen.replayLagMs === null ? undefined : `replay lag ${seen.replayLagMs.toFixed(1)} ms`,
            ]
              .filter(Boolean)
              .join(', ');
            process.stdout.write(
              `  ${seen.name} (${seen.address ?? 'local'}): ${seen.state}, ${seen.syncState}${lag ? `, ${lag}` : ', caught up'}\n`,
            );
          }
          for (const slot of replication.slots)
            process.stdout.write(
              `  slot ${slot.name}: ${slot.active ? 'active' : 'inactive'}, ${slot.walStatus ?? '-'}${slot.retainedBytes === null ? '' : `, keeps ${(slot.retainedBytes / 1048576).toFixed(1)} MB of WAL`}\n`,
            );
          for (const seen of status.replicationHistory ?? []) {
            process.stdout.write(
              `  last 24 h, ${seen.standby}: streaming ${(seen.streamingShare * 100).toFixed(1)} % of ${seen.samples} samples${seen.replayLagP99Ms === null ? '' : `, replay lag p99 ${seen.replayLagP99Ms.toFixed(1)} ms`}${seen.lagBytesMax === null ? '' : `, at most ${(seen.lagBytesMax / 1048576).toFixed(1)} MB behind`}\n`,
            );
          }
        } else if (replication?.role === 'standby') {
          const receiver = replication.receiver;
          process.stdout.write(
            `Replication: standby on timeline ${replication.timeline}, ${receiver ? `${receiver.status} from ${receiver.primaryHost}:${receiver.primaryPort}` : 'not receiving'}; received ${replication.receivedLsn ?? '-'}, replayed ${replication.replayedLsn ?? '-'}${replication.lastReplayedCommitAt ? `, last commit replayed ${replication.lastReplayedCommitAt}` : ''}\n`,
          );
        }
        process.stdout.write(
          status.warnings.length
            ? `\nNeeds attention:\n${status.warnings.map((w) => `  - ${w}`).join('\n')}\n`
            : '\nAll is well.\n',
        );
      }
      if (options.check && status.warnings.length) process.exitCode = 1;
    });
}
