import { registerRecoverCommand } from './recover.js';
import { Command } from 'commander';
import { version } from '../platform/version.js';
import { registerBackupCommands } from './backup/index.js';
import { registerCertsCommands } from './certs.js';
import { registerDrillCommands } from './drill.js';
import { registerFailoverCommands } from './failover.js';
import { registerMigrateCommand } from './migrate.js';
import { registerReplicationCommands } from './replication.js';
import { registerStandbyCommands } from './standby/index.js';
import { registerStatusCommand } from './status.js';
import { registerAuditCommand } from './audit.js';
import { registerMailCommand } from './mail.js';
import { registerUserCommand } from './user.js';
import { registerStaffCommand } from './staff.js';
import { registerProbeCommand } from './probe.js';
import { registerAlertsCommand } from './alerts.js';
import { registerTenantCommands } from './tenant/index.js';
import { registerServerCommands } from './up.js';

/** The `steadfast` command line: one build, several roles, and the operator's commands. */
export function buildProgram(): Command {
  const program = new Command('steadfast')
    .description('Steadfast: a multi-tenant work-management platform with its promises built in')
    .version(version)
    .option('--home <dir>', 'data directory (default ./.steadfast, or STEADFAST_HOME)')
    .option('--config <file>', 'JSON config file (default ./steadfast.config.json if present, or STEADFAST_CONFIG)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true });
  registerServerCommands(program);
  registerMigrateCommand(program);
  registerTenantCommands(program);
  registerBackupCommands(program);
  registerRecoverCommand(program);
  registerCertsCommands(program);
  registerStandbyCommands(program);
  registerFailoverCommands(program);
  registerReplicationCommands(program);
  registerDrillCommands(program);
  registerStatusCommand(program);
  registerAuditCommand(program);
  registerMailCommand(program);
  registerUserCommand(program);
  registerStaffCommand(program);
  registerProbeCommand(program);
  registerAlertsCommand(program);
  return program;
}
