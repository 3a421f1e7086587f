import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { createCa, createNodeCertificate, tlsPaths } from '../src/modules/replication/index.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { runCli, startUp, type RunningCli } from './helpers/cli.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

/**
 * Two simulated data centres: network namespaces joined by a veth pair (made and removed here),
 * a primary in one and a standby in the other, the standby's replication running through a TCP
 * proxy in its own namespace that can cut the link (a partition) and restore it. What the test
 * sees of each side it asks an agent running in that namespace (this process cannot reach them).
 */
const run = promisify(execFile);
const tag = `${process.pid % 100000}`;
const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
const dc = {
  a: { ns: `sfdc${tag}a`, veth: `sfv${tag}a`, address: `${subnet}.1` },
  b: { ns: `sfdc${tag}b`, veth: `sfv${tag}b`, address: `${subnet}.2` },
};
const helpers = path.resolve(import.meta.dirname, 'helpers');

interface Side {
  readonly name: string;
  readonly ns: string;
  readonly env: Record<string, string>;
  process?: RunningCli;
  agent?: Agent;
}

let root: string;
let a: Side;
let b: Side;
let proxy: TcpProxy;

/** A SQL agent in a namespace: one request per line, one answer per line. */
class Agent {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<
    number,
    { resolve(rows: Array<Record<string, unknown>>): void; reject(error: Error): void }
  >();
  private next = 0;

  constructor(side: Side) {
    this.child = spawn(
      'ip',
      ['netns', 'exec', side.ns, process.execPath, '--import', 'tsx', path.join(helpers, 'ns-agent.ts')],
      { env: { ...process.env, ...side.env }, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number; rows?: Array<Record<string, unknown>>; error?: string };
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (answer.error !== undefined) waiter?.reject(new Error(answer.error));
      else waiter?.resolve(answer.rows!);
    });
  }

  sql<R = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    const id = this.next++;
    return new Promise<R[]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (rows: Array<Record<string, unknown>>) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, sql: text, values })}\n`);
    });
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting until ${what}\n--- node_a:\n${a?.process?.output().slice(-2000)}\n--- node_b:\n${b?.process?.output().slice(-2000)}`,
      );
    await sleep(200);
  }
}

const rows = async (side: Side): Promise<number> =>
  (await side.agent!.sql<{ n: number }>('SELECT count(*)::int AS n FROM ledger'))[0]!.n;
const receiverStatus = async (side: Side): Promise<string | undefined> =>
  (await side.agent!.sql<{ status: string }>('SELECT status FROM pg_stat_wal_receiver'))[0]?.status;

before(async () => {
  for (const side of Object.values(dc)) await run('ip', ['netns', 'add', side.ns]);
  await run('ip', ['link', 'add', dc.a.veth, 'type', 'veth', 'peer', 'name', dc.b.veth]);
  for (const side of Object.values(dc)) {
    await run('ip', ['link', 'set', side.veth, 'netns', side.ns]);
    await run('ip', ['-n', side.ns, 'addr', 'add', `${side.address}/24`, 'dev', side.veth]);
    await run('ip', ['-n', side.ns, 'link', 'set', side.veth, 'up']);
    await run('ip', ['-n', side.ns, 'link', 'set', 'lo', 'up']);
  }
  root = await mkdtemp(path.join(tmpdir(), 'steadfast-dc-'));
  await chmod(root, 0o755);
  const secretKey = randomBytes(32).toString('base64url');
  const [pgA, pgB, controlA, controlB, proxyPort] = (await Promise.all([1, 2, 3, 4, 5].map(() => findFreePort()))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const sideEnv = (
    name: string,
    address: string,
    peer: string,
    pgPort: number,
    control: number,
    peerControl: number,
  ): Record<string, string> => ({
    STEADFAST_HOME: path.join(root, name),
    STEADFAST_SECRET_KEY: secretKey,
    STEADFAST_NODE_NAME: name,
    PORT: String(8080),
    STEADFAST_OPERATOR_PORT: '0',
    STEADFAST_POSTGRES_PORT: String(pgPort),
    STEADFAST_POSTGRES_LISTEN_ADDRESSES: `127.0.0.1,${address}`,
    STEADFAST_REPLICATION_PEERS: peer,
    STEADFAST_NODE_CONTROL_PORT: String(control),
    STEADFAST_CLUSTER_NODES: `${peer}:${peerControl}`,
    STEADFAST_WAL_ARCHIVING: 'false',
    STEADFAST_WAL_STREAMING: 'false',
    // Small, so a dead standby's slot reaches it quickly.
    STEADFAST_REPLICATION_MAX_SLOT_WAL_MB: '64',
    LOG_LEVEL: 'info',
  });
  a = { name: 'node_a', ns: dc.a.ns, env: sideEnv('node_a', dc.a.address, dc.b.address, pgA, controlA, controlB) };
  b = { name: 'node_b', ns: dc.b.ns, env: sideEnv('node_b', dc.b.address, dc.a.address, pgB, controlB, controlA) };
  for (const side of [a, b]) await mkdir(side.env.STEADFAST_HOME!, { mode: 0o755 });
  // node_b reaches node_a's PostgreSQL through the proxy at 127.0.0.1 in its own namespace: node_a's certificate names that address too.
  await createCa(a.env.STEADFAST_HOME!);
  await createNodeCertificate(a.env.STEADFAST_HOME!, ['127.0.0.1', dc.a.address]);
  const handOver = path.join(root, 'for-b');
  await createNodeCertificate(a.env.STEADFAST_HOME!, ['127.0.0.1', dc.b.address], handOver);
  await mkdir(tlsPaths(b.env.STEADFAST_HOME!).dir, { mode: 0o700 });
  for (const file of ['ca.crt', 'node.crt', 'node.key'])
    await copyFile(path.join(handOver, file), path.join(tlsPaths(b.env.STEADFAST_HOME!).dir, file));

  a.process = await startUp(a.env, [], { netns: a.ns });
  a.agent = new Agent(a);
  await a.agent.sql(
    "CREATE TABLE ledger (id int PRIMARY KEY, note text); INSERT INTO ledger SELECT g, 'first' FROM generate_series(1, 100) g",
  );
  proxy = new TcpProxy(`127.0.0.1:${proxyPort}`, `${dc.a.address}:${pgA}`, { netns: b.ns });
  await proxy.ready();
  const joined = await runCli(['standby', 'join', `127.0.0.1:${proxyPort}`], b.env, { netns: b.ns });
  assert.equal(joined.code, 0, joined.stderr);
  b.process = await startUp(b.env, [], { netns: b.ns });
  b.agent = new Agent(b);
  await until('node_b has the first rows', async () => (await rows(b)) === 100);
});

after(async () => {
  await Promise.all([a?.agent?.stop(), b?.agent?.stop(), proxy?.stop()]);
  await Promise.all([a?.process?.stop(), b?.process?.stop()]);
  for (const side of Object.values(dc)) await run('ip', ['netns', 'del', side.ns]).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('two data centres', () => {
  test('a partition between them heals, and replication resumes on its own', async () => {
    assert.equal(await receiverStatus(b), 'streaming');
    const [sender] = await a.agent!.sql<{ address: string; ssl: boolean }>(
      'SELECT host(r.client_addr) AS address, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)',
    );
    assert.deepEqual(
      sender,
      { address: dc.b.address, ssl: true },
      'the standby connects from the other data centre, over TLS',
    );

    await proxy.command('partition');
    await a.agent!.sql("INSERT INTO ledger SELECT g, 'during the partition' FROM generate_series(101, 200) g");
    // Both sides notice within their timeouts (10 s): the primary drops the sender, keeps the slot's WAL.
    await until(
      'node_a sees no standby',
      async () => (await a.agent!.sql('SELECT 1 FROM pg_stat_replication')).length === 0,
      30_000,
    );
    const [slot] = await a.agent!.sql<{ active: boolean; retained: number }>(
      "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained FROM pg_replication_slots WHERE slot_name = 'steadfast_node_b'",
    );
    assert.equal(slot!.active, false);
    assert.ok(slot!.retained > 0, 'the slot keeps the WAL the standby has not had');
    const status = await runCli(['status'], a.env, { netns: a.ns });
    assert.match(status.stdout, /node_b|steadfast_node_b/);
    assert.equal(await rows(b), 100, 'nothing crossed the partition');

    await proxy.command('heal');
    await until('node_b has the rows written during the partition', async () => (await rows(b)) === 200);
    await until('node_b streams again', async () => (await receiverStatus(b)) === 'streaming');
  });

  test('with 50 ms of latency on the link, replication goes on, that much behind', async () => {
    await proxy.command('latency 50');
    await a.agent!.sql("INSERT INTO ledger SELECT g, 'slow link' FROM generate_series(201, 300) g");
    await until('node_b has the rows over the slow link', async () => (await rows(b)) === 300);
    // PostgreSQL's own measure of the round trip (flushed here -> replayed there -> told) shows the link's 50 ms each way.
    await until(
      'the primary measures the slow link',
      async () => {
        await a.agent!.sql("INSERT INTO ledger VALUES (1000 + (random() * 1e6)::int, 'probe') ON CONFLICT DO NOTHING");
        return (
          ((
            await a.agent!.sql<{ ms: number | null }>(
              'SELECT (extract(epoch FROM replay_lag) * 1000)::float8 AS ms FROM pg_stat_replication',
            )
          )[0]?.ms ?? 0) >= 100
        );
      },
      20_000,
    );
    await proxy.command('latency 0');
  });

  test("a standby gone for good cannot fill the primary's disk: its slot is capped, lost, and reported", async () => {
    await b.process!.stop();
    b.process = undefined;
    // About 150 MB of WAL, beyond the slot's 64 MB cap; checkpoints then remove what it no longer may keep.
    await a.agent!.sql(
      'CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 30) AS pad FROM generate_series(1, 150000) g',
    );
    await a.agent!.sql('CHECKPOINT');
    await a.agent!.sql('SELECT pg_switch_wal()');
    await a.agent!.sql('CHECKPOINT');
    await until(
      'the slot is lost',
      async () =>
        (
          await a.agent!.sql<{ wal_status: string }>(
            "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'steadfast_node_b'",
          )
        )[0]!.wal_status === 'lost',
      30_000,
    );
    const [wal] = await a.agent!.sql<{ mb: number }>('SELECT (sum(size) / 1048576)::float8 AS mb FROM pg_ls_waldir()');
    assert.ok(
      wal!.mb < 64 + 2 * 64 + 64,
      `pg_wal holds ${wal!.mb} MB: bounded by the cap and max_wal_size, not by what the standby missed`,
    );
    const status = await runCli(['status'], a.env, { netns: a.ns });
    assert.match(status.stdout + status.stderr, /lost/i, 'status says the slot is lost');
    assert.match(status.stdout + status.stderr, /join again/i, 'and that the standby must join again');
    await a.agent!.sql("INSERT INTO ledger VALUES (999, 'after the slot was lost')");
    assert.equal(
      (await a.agent!.sql<{ n: number }>('SELECT count(*)::int AS n FROM ledger WHERE id = 999'))[0]!.n,
      1,
      'the primary kept taking writes',
    );
  });
});
