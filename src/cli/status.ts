import type { Command } from 'commander';
import { collectStatus, type PlatformStatus } from '../app/status.js';
import path from 'node:path';
import {
  publicFileMode,
  publishSite,
  renderStatusSite,
  statusTargetsOf,
  statusTitleOf,
  type StatusTarget,
} from '../modules/status/index.js';
import { FsStore } from '../platform/storage/fs-store.js';
import { commandSetup, globalOptions, withPlatform } from './context.js';
import { printJson } from './output.js';

export function registerStatusCommand(program: Command): void {
  const status = program
    .command('status')
    .description(
      'what runs, the tenants, the latest backup and WAL archiving, and what needs attention (starts nothing)',
    )
    .option('--json', 'print the status as JSON')
    .option('--check', 'exit 1 when anything needs attention (for monitoring)')
    .action(async (options: { json?: boolean; check?: boolean }, command: Command) => {
      const { config, log } = commandSetup(command);
      const status = await collectStatus(config, log);
      if (options.json) printJson(status);
      else printStatus(status);
      if (options.check && status.warnings.length) process.exitCode = 1;
    });
  status
    .command('publish')
    .description(
      'render the public status page (no script, with Atom and JSON feeds) and write it to the statusTargets, or to --to <dir>',
    )
    .option('--to <dir>', 'write it to this directory instead (a web server on another machine serves it)')
    .action(async (options: { to?: string }, command: Command) => {
      const results = await withPlatform(globalOptions(command), async (platform) => {
        const targets: StatusTarget[] = options.to
          ? [{ name: options.to, store: new FsStore(path.resolve(options.to), publicFileMode) }]
          : statusTargetsOf(platform.config);
        if (targets.length === 0)
          throw new Error(
            'There is nowhere to publish to: set statusTargets in the configuration, or give a directory with --to <dir>.',
          );
        try {
          return await publishSite(
            renderStatusSite(await platform.status.pageModel(statusTitleOf(platform.config), undefined)),
            targets,
          );
        } finally {
          await Promise.all(targets.map((target) => target.store.close?.()));
        }
      });
      for (const result of results)
        process.stdout.write(
          result.ok ? `Published to ${result.target}.\n` : `Could not publish to ${result.target}: ${result.error}\n`,
        );
      if (results.some((result) => !result.ok)) process.exitCode = 1;
    });
}

const line = (text: string): void => void process.stdout.write(`${text}\n`);

function printStatus(status: PlatformStatus): void {
  const pg = status.postgres;
  line(
    `PostgreSQL: ${pg.mode}, ${pg.running ? `running (pid ${pg.pid ?? '-'}, port ${pg.port ?? '-'})` : 'not running'}`,
  );
  line(
    `Server:     ${status.server.running ? `running (pid ${status.server.pid}, http port ${status.server.httpPort})` : 'not running'}`,
  );
  if (status.tenants) {
    const byStatus = Object.entries(status.tenants.byStatus).map(([state, n]) => `${n} ${state}`);
    line(`Tenants:    ${status.tenants.total} (${byStatus.join(', ') || 'none'})`);
  }
  printBackups(status);
  printDrills(status);
  if (status.replication?.role === 'primary') printPrimary(status.replication, status.replicationHistory ?? []);
  else if (status.replication?.role === 'standby') printStandby(status.replication);
  process.stdout.write(
    status.warnings.length
      ? `\nNeeds attention:\n${status.warnings.map((w) => `  - ${w}`).join('\n')}\n`
      : '\nAll is well.\n',
  );
}

function printBackups(status: PlatformStatus): void {
  const latest = status.backups.latest;
  line(
    `Backups:    ${status.backups.count}${latest ? `; latest ${latest.id} (${latest.type}${status.backups.latestFull ? ` on full ${status.backups.latestFull.id}` : ''}), ${latest.ageHours} h ago, in ${latest.repositories.join(', ')}` : ''}`,
  );
  for (const repository of status.backups.repositories)
    line(
      `  ${repository.name}: ${repository.backups} backup(s), last WAL ${repository.lastWal ?? 'none'}${repository.error ? `, error: ${repository.error}` : ''}`,
    );
  if (status.walSpooled !== undefined) line(`WAL spool:  ${status.walSpooled} file(s) waiting`);
}

function printDrills(status: PlatformStatus): void {
  const drill = status.drills?.last;
  if (status.drills) {
    line(
      `Drills:     ${drill ? `last ${drill.passed ? 'passed' : 'FAILED'} at ${drill.finishedAt}${drill.rpoSeconds === null ? '' : `, RPO ${drill.rpoSeconds} s`}${drill.restoreMbS === null ? '' : `, restore ${drill.restoreMbS} MB/s`}` : 'none yet'}${status.drills.lastPassedAt && !drill?.passed ? `; last passed ${status.drills.lastPassedAt}` : ''}`,
    );
  }
  for (const failover of status.failoverDrills ?? []) {
    line(
      `Failover drill (${failover.mode}): last ${failover.passed ? 'passed' : 'FAILED'} at ${failover.finishedAt}, ${failover.trials} trial(s), ${failover.lost} acknowledged write(s) lost${failover.rpoP99Ms === null ? '' : `, RPO p99 ${failover.rpoP99Ms.toFixed(0)} ms`}${failover.rtoP99Seconds === null ? '' : `, RTO p99 ${failover.rtoP99Seconds.toFixed(2)} s`}`,
    );
  }
}

type Replication = NonNullable<PlatformStatus['replication']>;

function printPrimary(
  replication: Extract<Replication, { role: 'primary' }>,
  history: NonNullable<PlatformStatus['replicationHistory']>,
): void {
  line(
    `Replication: primary on timeline ${replication.timeline}, WAL at ${replication.currentLsn}; ${replication.standbys.length} standby(s) connected`,
  );
  for (const seen of replication.standbys) {
    const lag = [
      seen.lagBytes === null ? undefined : `${(seen.lagBytes / 1024).toFixed(0)} kB behind`,
      seen.replayLagMs === null ? undefined : `replay lag ${seen.replayLagMs.toFixed(1)} ms`,
    ]
      .filter(Boolean)
      .join(', ');
    line(
      `  ${seen.name} (${seen.address ?? 'local'}): ${seen.state}, ${seen.syncState}${lag ? `, ${lag}` : ', caught up'}`,
    );
  }
  for (const slot of replication.slots)
    line(
      `  slot ${slot.name}: ${slot.active ? 'active' : 'inactive'}, ${slot.walStatus ?? '-'}${slot.retainedBytes === null ? '' : `, keeps ${(slot.retainedBytes / 1048576).toFixed(1)} MB of WAL`}`,
    );
  for (const seen of history) {
    line(
      `  last 24 h, ${seen.standby}: streaming ${(seen.streamingShare * 100).toFixed(1)} % of ${seen.samples} samples${seen.replayLagP99Ms === null ? '' : `, replay lag p99 ${seen.replayLagP99Ms.toFixed(1)} ms`}${seen.lagBytesMax === null ? '' : `, at most ${(seen.lagBytesMax / 1048576).toFixed(1)} MB behind`}`,
    );
  }
}

function printStandby(replication: Extract<Replication, { role: 'standby' }>): void {
  const receiver = replication.receiver;
  line(
    `Replication: standby on timeline ${replication.timeline}, ${receiver ? `${receiver.status} from ${receiver.primaryHost}:${receiver.primaryPort}` : 'not receiving'}; received ${replication.receivedLsn ?? '-'}, replayed ${replication.replayedLsn ?? '-'}${replication.lastReplayedCommitAt ? `, last commit replayed ${replication.lastReplayedCommitAt}` : ''}`,
  );
}
