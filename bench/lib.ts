import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootstrapPlatform, startEmbedded } from '../src/app/database.js';
import { type DatabaseHandle } from '../src/platform/db/handle.js';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { createLogger, type Logger } from '../src/platform/log/log.js';

export { percentile } from '../src/platform/percentile.js';

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The line the bench runner and the README quote. Always the last line a benchmark prints. */
export function printResult(name: string, figures: Record<string, number>): void {
  process.stdout.write(`RESULT ${name} ${JSON.stringify(figures)}\n`);
}

export interface BenchCluster {
  readonly config: Config;
  readonly home: string;
  readonly database: DatabaseHandle;
  readonly log: Logger;
  stop(): Promise<void>;
}

/**
 * A real embedded cluster with default (durable) settings in a fresh home, set up as
 * `steadfast up` would: platform database created and migrated, no demo tenant.
 */
export async function startBenchCluster(overrides: Record<string, unknown> = {}): Promise<BenchCluster> {
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-bench-'));
  await chmod(home, 0o755);
  const config = loadConfig({
    env: {},
    overrides: { home, demoTenant: '', postgresPort: 0, logLevel: 'warn', ...overrides },
  });
  const log = createLogger('warn', { component: 'bench' });
  const database = await startEmbedded(config, log);
  try {
    await bootstrapPlatform(database, log);
  } catch (error) {
    await database.stop();
    throw error;
  }
  return {
    config,
    home,
    database,
    log,
    async stop() {
      await database.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
