/**
 * The whole test suite, as `npm test` runs it: type check, lint, format check, then every test file
 * under Node's own runner against one real embedded PostgreSQL cluster started here
 * (each integration test file clones its own database from a pre-migrated template).
 * Everything started here is stopped here, also when a step fails.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootstrapPlatform } from '../src/app/database.js';
import { embeddedSuperuser } from '../src/platform/postgres/embedded.js';
import { derivePassword } from '../src/platform/crypto/secrets.js';
import { createLogger } from '../src/platform/log/log.js';
import { resolveBinaries } from '../src/platform/postgres/binaries.js';
import { ensurePostgresOsUser } from '../src/platform/postgres/os-user.js';
import { PostgresSupervisor } from '../src/platform/postgres/supervisor.js';
import { testEnvNames, templateDatabase } from './helpers/env.js';

const root = path.resolve(import.meta.dirname, '..');

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  if (only.length === 0) {
    await step('type check', 'npx', ['tsc', '--noEmit']);
    await step('type check of the web app', 'npx', ['tsc', '--noEmit', '-p', 'web']);
    await step('lint', 'npx', ['eslint', '--max-warnings=0', '.']);
    await step('format', 'npx', ['prettier', '--check', '.']);
  }
  const files = only.length ? only : await testFiles();
  const cluster = await startCluster();
  try {
    return await runTests(files, cluster.env);
  } finally {
    await cluster.stop();
  }
}

async function step(name: string, command: string, args: string[]): Promise<void> {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const code = await run(command, args, process.env);
  if (code !== 0) throw new Error(`${name} failed (exit ${code})`);
}

async function testFiles(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['src', 'test']) {
    for (const entry of await readdir(path.join(root, dir), { recursive: true })) {
      if (/\.test\.ts$/.test(entry) && !entry.includes('node_modules')) found.push(path.join(dir, entry));
    }
  }
  return found.sort();
}

async function startCluster(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error', { component: 'test-cluster' });
  const home = await mkdtemp(path.join(tmpdir(), 'steadfast-test-'));
  await chmod(home, 0o755); // The Postgres OS user must reach its data directory inside.
  const secretKey = randomBytes(32).toString('base64url');
  const runAs = await ensurePostgresOsUser('steadfast-pg');
  const supervisor = new PostgresSupervisor({
    dataDir: path.join(home, 'postgres', 'data'),
    binaries: await resolveBinaries(runAs),
    superuser: embeddedSuperuser,
    superuserPassword: derivePassword(secretKey, embeddedSuperuser),
    port: 0,
    maxConnections: 300,
    runAs,
    log,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
  });
  const stop = async (): Promise<void> => {
    await supervisor.stop();
    await rm(home, { recursive: true, force: true });
  };
  try {
    await supervisor.initialise();
    await supervisor.start();
    const admin = {
      host: '127.0.0.1',
      port: supervisor.port,
      user: embeddedSuperuser,
      password: derivePassword(secretKey, embeddedSuperuser),
      database: templateDatabase,
    };
    await bootstrapPlatform(
      { admin, platformDatabase: templateDatabase, secretKey, mode: 'external', stop: async () => undefined },
      log,
    );
    const env = {
      [testEnvNames.port]: String(supervisor.port),
      [testEnvNames.secretKey]: secretKey,
    };
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function runTests(files: string[], env: Record<string, string>): Promise<number> {
  process.stdout.write(`\n== tests: ${files.length} files\n`);
  const args = ['--import', 'tsx', '--test', '--test-concurrency=3', '--test-reporter=spec', ...files];
  let output = '';
  const code = await run(process.execPath, args, { ...process.env, ...env }, (chunk) => (output += chunk));
  const count = (label: string): number => Number(new RegExp(`^ℹ ${label} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
  process.stdout.write(`${count('pass')} passed, ${count('fail')} failed\n`);
  return code;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onOutput?: (chunk: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', onOutput ? 'pipe' : 'inherit', 'inherit'] });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      onOutput?.(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test run failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
