import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loopbackNodeEnv, pairCertificates } from '../../src/modules/replication/index.js';
import { attachRunning, embeddedDataDir } from '../../src/platform/postgres/embedded.js';
import { pollUntil } from '../../src/platform/clock/clock.js';
import { loadConfig, type Config } from '../../src/platform/config/config.js';
import { withClient } from '../../src/platform/db/connect.js';
import { isProcessAlive, readPostmasterPid } from '../../src/platform/postgres/data-dir.js';
import { ensurePostgresOsUser } from '../../src/platform/postgres/os-user.js';
import { findFreePort } from '../../src/platform/postgres/supervisor.js';
import { runCli, startUp, type RunningCli } from './cli.js';

/** One node of a two-node installation, run as `steadfast up` in a process of its own. */
export interface TestNode {
  readonly name: string;
  readonly home: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly dataDir: string;
  process?: RunningCli;
}

/**
 * Two nodes on loopback, each knowing the other (replicationPeers, clusterNodes, its control
 * port), with certificates of one CA and the same secret key: node_a starts as the primary
 * with a `ledger` table, node_b joins it as a standby and follows. A watcher asks both servers
 * all along whether they are primary; `bothPrimary` lists the moments both said yes.
 */
export class TwoNodes {
  a!: TestNode;
  b!: TestNode;
  readonly bothPrimary: string[] = [];
  private root = '';
  private watching = true;
  private watcher: Promise<void> = Promise.resolve();

  async start(env: Record<string, string> = {}): Promise<void> {
    this.root = await mkdtemp(path.join(tmpdir(), 'steadfast-nodes-'));
    await chmod(this.root, 0o755);
    const secretKey = randomBytes(32).toString('base64url');
    const [controlA, controlB] = [await findFreePort(), await findFreePort()];
    this.a = await this.makeNode('node_a', controlA, controlB, secretKey, env);
    this.b = await this.makeNode('node_b', controlB, controlA, secretKey, env);
    await pairCertificates(this.root, this.a.home, this.b.home);
    this.watcher = this.watchForTwoPrimaries();

    this.a.process = await startUp(this.a.env);
    await this.sql(
      this.a,
      "CREATE TABLE ledger (id int PRIMARY KEY, note text); INSERT INTO ledger SELECT g, 'first' FROM generate_series(1, 100) g",
    );
    const joined = await runCli(['standby', 'join', `127.0.0.1:${this.a.env.STEADFAST_POSTGRES_PORT}`], this.b.env);
    if (joined.code !== 0) throw new Error(`standby join failed: ${joined.stderr}`);
    this.b.process = await startUp(this.b.env);
    await this.until('node_b has the first rows', async () => (await this.rows(this.b)) === 100);
  }

  async stop(): Promise<void> {
    this.watching = false;
    await this.watcher;
    await Promise.all([this.a?.process?.stop(), this.b?.process?.stop()]);
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  get rootDir(): string {
    return this.root;
  }

  private async makeNode(
    name: string,
    controlPort: number,
    peerControlPort: number,
    secretKey: string,
    extra: Record<string, string>,
  ): Promise<TestNode> {
    const home = path.join(this.root, name);
    await mkdir(home, { mode: 0o755 });
    const env = {
      ...(await loopbackNodeEnv({ home, name, secretKey, controlPort, peerControlPort })),
      LOG_LEVEL: 'info',
      ...extra,
    };
    const config = loadConfig({ env, cwd: this.root });
    return {
      name,
      home,
      env,
      config,
      dataDir: await embeddedDataDir(config, await ensurePostgresOsUser(config.postgresOsUser)),
    };
  }

  /** A statement on the node's PostgreSQL as the superuser, while it runs. */
  async sql<R extends Record<string, unknown>>(node: TestNode, text: string, values: unknown[] = []): Promise<R[]> {
    const running = await attachRunning(node.config);
    if (!running) throw new Error(`${node.name}'s PostgreSQL is not running`);
    return withClient(
      { ...running.admin, database: 'postgres' },
      async (client) => (await client.query<R>(text, values)).rows,
    );
  }

  async until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
    await pollUntil(() => check().catch(() => false), {
      timeoutMs: ms,
      intervalMs: 100,
      timeoutError: () =>
        new Error(
          `timed out waiting until ${what}\n--- node_a:\n${this.a.process?.output().slice(-3000)}\n--- node_b:\n${this.b.process?.output().slice(-3000)}`,
        ),
    });
  }

  inRecovery = async (node: TestNode): Promise<boolean> =>
    (await this.sql<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;
  rows = async (node: TestNode): Promise<number> =>
    (await this.sql<{ n: number }>(node, 'SELECT count(*)::int AS n FROM ledger'))[0]!.n;
  streaming = async (node: TestNode): Promise<boolean> =>
    (await this.sql<{ status: string }>(node, 'SELECT status FROM pg_stat_wal_receiver')).some(
      (row) => row.status === 'streaming',
    );

  /** As a machine dies: the postmaster frozen first (so its supervisor's parent-death signal, a fast shutdown, never runs), then both killed. */
  async kill(node: TestNode): Promise<void> {
    const postmaster = (await readPostmasterPid(node.dataDir))!.pid;
    process.kill(postmaster, 'SIGSTOP');
    node.process!.child.kill('SIGKILL');
    await node.process!.stop();
    node.process = undefined;
    process.kill(postmaster, 'SIGKILL');
    while (await readPostmasterPid(node.dataDir).then((info) => info !== undefined && isProcessAlive(info.pid)))
      await sleep(20);
  }

  /**
   * Asks both servers every few milliseconds whether they are in recovery, each over a connection
   * kept open (and opened again when its server restarts): a moment where both answer "no" is
   * recorded. A server that does not answer takes no writes either.
   */
  private async watchForTwoPrimaries(): Promise<void> {
    const clients = new Map<TestNode, { client: pg.Client; port: number }>();
    const isPrimary = async (node: TestNode): Promise<boolean> => {
      try {
        const running = await attachRunning(node.config);
        if (!running) return false;
        let held = clients.get(node);
        if (held && held.port !== running.port) {
          clients.delete(node);
          await held.client.end().catch(() => undefined);
          held = undefined;
        }
        if (!held) {
          const client = new pg.Client({ ...running.admin, database: 'postgres', connectionTimeoutMillis: 1000 });
          client.on('error', () => clients.delete(node));
          await client.connect();
          held = { client, port: running.port };
          clients.set(node, held);
        }
        return !(await held.client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r;
      } catch {
        clients.delete(node);
        return false;
      }
    };
    while (this.watching) {
      if (this.a && this.b) {
        const [primaryA, primaryB] = await Promise.all([isPrimary(this.a), isPrimary(this.b)]);
        if (primaryA && primaryB) this.bothPrimary.push(new Date().toISOString());
      }
      await sleep(5);
    }
    await Promise.all([...clients.values()].map(({ client }) => client.end().catch(() => undefined)));
  }
}
