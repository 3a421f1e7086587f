import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from '../../platform/clock/clock.js';
import { loadConfig, type Config } from '../../platform/config/config.js';
import { derivePassword } from '../../platform/crypto/secrets.js';
import { toUrl, withClient } from '../../platform/db/connect.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { readPostmasterPid } from '../../platform/postgres/data-dir.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { findFreePort } from '../../platform/postgres/supervisor.js';
import { removeTree } from '../../platform/storage/dirs.js';
import { copyFileTo, makeDirectory, makeTemporaryDirectory, setMode } from '../../platform/storage/local-files.js';
import { createCa, createNodeCertificate } from './replication.certs.js';
import { startSteadfast, type RunningChild } from '../../platform/process/child.js';
import { childrenOf, isRunning } from '../../platform/process/proc.js';
import { attachRunning, embeddedDataDir, embeddedSuperuser } from '../../platform/postgres/embedded.js';
import { tlsPaths } from './replication.state.js';
import { joinStandby } from './replication.join.js';

export interface DrillNode {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly dataDir: string;
  process?: RunningChild;
}

export const drillTenant = 'drill';

/**
 * The environment of one of two nodes on loopback that know each other (replication from
 * 127.0.0.1, each other's control port, one secret key), with free ports, no WAL archiving.
 */
export async function loopbackNodeEnv(node: {
  home: string;
  name: string;
  secretKey: string;
  controlPort: number;
  peerControlPort: number;
}): Promise<Record<string, string>> {
  return {
    STEADFAST_HOME: node.home,
    STEADFAST_SECRET_KEY: node.secretKey,
    STEADFAST_NODE_NAME: node.name,
    PORT: String(await findFreePort()),
    STEADFAST_POSTGRES_PORT: String(await findFreePort()),
    STEADFAST_OPERATOR_PORT: '0',
    STEADFAST_REPLICATION_PEERS: '127.0.0.1',
    STEADFAST_NODE_CONTROL_PORT: String(node.controlPort),
    STEADFAST_NODE_CONTROL_HOST: '127.0.0.1',
    STEADFAST_CLUSTER_NODES: `127.0.0.1:${node.peerControlPort}`,
    STEADFAST_WAL_ARCHIVING: 'false',
    STEADFAST_WAL_STREAMING: 'false',
  };
}

/** Certificates of one new CA for two nodes on loopback: the CA and the first node's in its home, the second's handed over into its home. */
export async function pairCertificates(root: string, homeA: string, homeB: string): Promise<void> {
  await createCa(homeA);
  await createNodeCertificate(homeA, ['127.0.0.1']);
  const handOver = path.join(root, 'for-b');
  await createNodeCertificate(homeA, ['127.0.0.1'], handOver);
  await makeDirectory(tlsPaths(homeB).dir, { mode: 0o700 });
  for (const file of ['ca.crt', 'node.crt', 'node.key'])
    await copyFileTo(path.join(handOver, file), path.join(tlsPaths(homeB).dir, file));
  await removeTree(handOver);
}

/**
 * The scratch installation a failover drill breaks: two nodes on loopback (each `steadfast up`
 * in a process of its own, certificates of one CA, the replication mode under test), the first
 * primary and the second its standby, plus a stateless app process (`steadfast serve`) that
 * reaches them through the host list of DATABASE_URL and serves the drill's writes. Made in a
 * temporary directory and removed with everything in it.
 */
export class DrillPair {
  readonly nodes: [DrillNode, DrillNode];
  app?: RunningChild;
  private constructor(
    private readonly root: string,
    nodes: [DrillNode, DrillNode],
    readonly appPort: number,
    readonly token: string,
    private readonly secretKey: string,
  ) {
    this.nodes = nodes;
  }

  /** `retrySeconds`: how long the app process lets a request wait for a primary (its databaseRetrySeconds). */
  static async create(options: {
    directory?: string;
    mode: Config['replicationMode'];
    log: Logger;
    retrySeconds?: number;
  }): Promise<DrillPair> {
    const root = await makeTemporaryDirectory(path.join(options.directory ?? tmpdir(), 'steadfast-failover-drill-'));
    const pair = await DrillPair.prepare(root, options.mode).catch(async (error: unknown) => {
      await removeTree(root);
      throw error;
    });
    try {
      await pair.start(options.log, options.retrySeconds);
      return pair;
    } catch (error) {
      await pair.stop();
      throw error;
    }
  }

  private static async prepare(root: string, mode: Config['replicationMode']): Promise<DrillPair> {
    // The PostgreSQL OS user (when we are root) must reach the homes.
    await setMode(root, 0o755);
    const secretKey = randomBytes(32).toString('base64url');
    const controls = [await findFreePort(), await findFreePort()];
    const nodes = [] as unknown as [DrillNode, DrillNode];
    for (const index of [0, 1]) {
      const name = `drill_${'ab'[index]}`;
      const home = path.join(root, name);
      await makeDirectory(home, { mode: 0o755 });
      const env = {
        ...(await loopbackNodeEnv({
          home,
          name,
          secretKey,
          controlPort: controls[index]!,
          peerControlPort: controls[1 - index]!,
        })),
        STEADFAST_REPLICATION_MODE: mode,
        STEADFAST_DEMO_TENANT: drillTenant,
        STEADFAST_BACKUP_SCHEDULE: '',
        STEADFAST_DRILL_SCHEDULE: '',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      };
      const config = loadConfig({ env, cwd: root });
      nodes[index] = {
        name,
        env,
        config,
        dataDir: await embeddedDataDir(config, await ensurePostgresOsUser(config.postgresOsUser)),
      };
    }
    await pairCertificates(root, nodes[0].config.home, nodes[1].config.home);
    return new DrillPair(root, nodes, await findFreePort(), randomBytes(32).toString('base64url'), secretKey);
  }

  private async start(log: Logger, retrySeconds = 15): Promise<void> {
    const [a, b] = this.nodes;
    a.process = await startSteadfast(['up'], { env: a.env, ready: 'Steadfast is running' });
    await joinStandby(b.config, log, { host: '127.0.0.1', port: a.config.postgresPort });
    b.process = await startSteadfast(['up'], { env: b.env, ready: 'running as a standby' });
    await this.waitFollowing(a, b);
    // The stateless app tier: it knows both servers and finds the primary itself.
    const hosts = this.nodes.map((node) => ({ host: '127.0.0.1', port: node.config.postgresPort }));
    const url = toUrl({
      ...hosts[0]!,
      hosts,
      user: embeddedSuperuser,
      password: derivePassword(this.secretKey, embeddedSuperuser),
      database: a.config.platformDatabase,
    });
    this.app = await startSteadfast(['serve'], {
      env: {
        STEADFAST_HOME: path.join(this.root, 'app'),
        STEADFAST_SECRET_KEY: this.secretKey,
        DATABASE_URL: url,
        PORT: String(this.appPort),
        STEADFAST_OPERATOR_PORT: '0',
        STEADFAST_DRILL_WRITE_TOKEN: this.token,
        STEADFAST_DATABASE_RETRY_SECONDS: String(retrySeconds),
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      },
    });
  }

  other(node: DrillNode): DrillNode {
    return node === this.nodes[0] ? this.nodes[1] : this.nodes[0];
  }

  /** A statement on the node's PostgreSQL (the platform database) as the superuser. */
  async sql<R extends Record<string, unknown>>(node: DrillNode, text: string, values: unknown[] = []): Promise<R[]> {
    const running = await attachRunning(node.config);
    if (!running) throw appError('DRILL_FAILED', `${node.name}'s PostgreSQL is not running.`);
    return withClient(running.admin, async (client) => (await client.query<R>(text, values)).rows);
  }

  /** Until `standby` streams from `primary` (and, in a synchronous mode, `primary` waits for it). */
  async waitFollowing(primary: DrillNode, standby: DrillNode, seconds = 120): Promise<void> {
    const sync = primary.config.replicationMode !== 'async';
    await pollUntil(
      async () => {
        const rows = await this.sql<{ state: string; sync_state: string }>(
          primary,
          'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1',
          [standby.name],
        ).catch(() => []);
        return rows.some((row) => row.state === 'streaming' && (!sync || row.sync_state === 'sync'));
      },
      {
        timeoutMs: seconds * 1000,
        intervalMs: 100,
        timeoutError: () =>
          appError(
            'DRILL_FAILED',
            `${standby.name} did not ${sync ? 'become the synchronous standby' : 'stream'} from ${primary.name} within ${seconds} s:\n${standby.process?.output().slice(-3000) ?? ''}`,
          ),
      },
    );
  }

  /**
   * As a machine dies: every PostgreSQL process of the node frozen at once (the postmaster
   * first, so it forks no more, then its children: from that moment nothing of it answers or
   * commits, though its sockets still accept), then its `steadfast up` and all of them killed.
   * Resolves, once they are gone, with the moment they froze (performance.now()).
   */
  async kill(node: DrillNode): Promise<number> {
    const postmaster = (await readPostmasterPid(node.dataDir))?.pid;
    if (!postmaster)
      throw appError('DRILL_FAILED', `${node.name}'s PostgreSQL is not running, so there is nothing to kill.`);
    process.kill(postmaster, 'SIGSTOP');
    const processes = [postmaster, ...(await childrenOf(postmaster))];
    for (const pid of processes.slice(1)) process.kill(pid, 'SIGSTOP');
    const frozenAt = performance.now();
    node.process?.child.kill('SIGKILL');
    for (const pid of processes) process.kill(pid, 'SIGKILL');
    await node.process?.stop();
    node.process = undefined;
    // Their parent is gone, so whoever adopts them reaps them when it will: a zombie is gone enough.
    await pollUntil(async () => !(await Promise.all(processes.map(isRunning))).some(Boolean), {
      timeoutMs: 30_000,
      intervalMs: 5,
      timeoutError: () =>
        appError(
          'DRILL_FAILED',
          `${node.name}'s PostgreSQL processes (${processes.join(', ')}) were still there 30 s after SIGKILL.`,
        ),
    });
    return frozenAt;
  }

  /** Starts a killed node again: it finds a newer primary among its peers and follows it as a standby. */
  async restart(node: DrillNode): Promise<void> {
    node.process = await startSteadfast(['up'], { env: node.env, ready: 'running as a standby', timeoutSeconds: 180 });
  }

  async stop(): Promise<void> {
    await this.app?.stop();
    await Promise.all(this.nodes.map((node) => node.process?.stop()));
    await removeTree(this.root);
  }
}
