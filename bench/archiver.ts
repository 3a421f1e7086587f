/**
 * WAL archiving as `steadfast up` runs it (the pusher and the WAL streamer), in a process of
 * its own, so the benchmark's load generator does not share its event loop and CPU time with
 * the sealing. argv[2]: JSON { home, secretKey, admin, dataDir, walSpool }. SIGTERM stops it
 * cleanly; SIGKILL plays the machine's death.
 */
import { startWalShipping } from '../src/app/backup.js';
import { loadConfig } from '../src/platform/config/config.js';
import type { ConnectionTarget } from '../src/platform/db/connect.js';
import { createLogger } from '../src/platform/log/log.js';

const { home, secretKey, admin, dataDir, walSpool } = JSON.parse(process.argv[2]!) as {
  home: string;
  secretKey: string;
  admin: ConnectionTarget;
  dataDir: string;
  walSpool: string;
};
const config = loadConfig({
  env: {},
  overrides: { home, secretKey, demoTenant: '', postgresPort: 0, logLevel: 'warn' },
});
const log = createLogger('warn', { component: 'bench-archiver' });
const shipping = startWalShipping(config, log, { admin, dataDir, walSpool })!;
process.send?.('ready');
process.once('SIGTERM', () => {
  void Promise.all([shipping.stopPusher(), shipping.stopStreamer()]).finally(() => process.exit(0));
});
