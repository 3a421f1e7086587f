import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appError } from '../errors.js';
import type { Logger } from '../log/log.js';
import type { PostgresBinaries } from './binaries.js';
import {
  acceptsConnections,
  hbaRules,
  assertNotServed,
  readDataDirMajor,
  readPostmasterPid,
  steadfastConf,
  writeFileAtomic,
} from './data-dir.js';
import { isReachableBy, type RunAs } from './os-user.js';
import { installServerTls, type TlsFiles } from './tls.js';

export interface SupervisorOptions {
  readonly dataDir: string;
  readonly binaries: PostgresBinaries;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** Preferred port; a free one is chosen when it is taken. */
  readonly port: number;
  readonly maxConnections: number;
  readonly runAs?: RunAs | undefined;
  readonly log: Logger;
  /** Extra server settings (replication and archiving add theirs); they win over the defaults. */
  readonly settings?: Record<string, string | number>;
  /** Client authentication rules, instead of Steadfast's usual ones (a recovery run uses a private socket). */
  readonly hbaRules?: string;
  /** Never fall back to another port (other machines reach this one at `port`): a taken port fails the start. */
  readonly fixedPort?: boolean;
  /** Addresses to listen on, comma-separated (default loopback only). */
  readonly listenAddresses?: string;
  /** TLS for connections from other nodes: the server presents `cert` and trusts client certificates of `ca`. */
  readonly tls?: TlsFiles | undefined;
  /** Restart Postgres when it crashes (default). A one-off run, such as a recovery, does not. */
  readonly restartOnCrash?: boolean;
  /** How long a start may take before it is given up (a recovery replays WAL first). */
  readonly startTimeoutMs?: number;
}

const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;
const maxRestartsPerMinute = 5;
/** A client turned away while the server is not yet (or no longer) open: expected, the client retries. */
const transitionRefusal =
  /FATAL:\s+the database system is (starting up|not accepting connections|not yet accepting connections|shutting down|in recovery mode)/;

/**
 * Runs one embedded PostgreSQL server as a child process: initialises the data
 * directory on first use, starts it on a free port, restarts it when it crashes and
 * stops it with a fast shutdown. Postgres is started through `setpriv --pdeathsig`, so
 * it shuts down even if this process is killed with SIGKILL and cannot outlive us.
 *
 * Events: `crash` (exit code or signal), `restarted` (port), `fatal` (error) when it
 * keeps crashing and is given up on.
 */
export class PostgresSupervisor extends EventEmitter {
  private child: ChildProcess | undefined;
  private stopping = false;
  /** A restart after a crash, while it runs; stop() waits for it so nothing starts behind it. */
  private restarting: Promise<void> | undefined;
  private restarts: number[] = [];
  /** The server's last log lines, for error messages. */
  private readonly recent: string[] = [];
  private currentPort = 0;
  /** The extra settings; a promoted standby's change to a primary's (reconfigure). */
  private settings: Readonly<Record<string, string | number>>;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.settings = options.settings ?? {};
  }

  /**
   * Replaces the extra settings, rewrites steadfast.conf and has the running server reload it:
   * for settings PostgreSQL takes on reload (a standby promoted takes a primary's synchronous
   * commit settings without a restart).
   */
  async reconfigure(settings: Record<string, string | number>): Promise<void> {
    this.settings = settings;
    await this.writeSettings(this.currentPort);
    this.child?.kill('SIGHUP');
  }

  get port(): number {
    return this.currentPort;
  }

  /** The last lines Postgres logged (at most 50). */
  get recentLog(): readonly string[] {
    return this.recent;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Creates the data directory with initdb unless it exists; refuses one from another major version. */
  async initialise(): Promise<{ created: boolean }> {
    const { dataDir, binaries, runAs } = this.options;
    const major = await readDataDirMajor(dataDir);
    if (major !== undefined) {
      if (major !== binaries.major) {
        throw appError(
          'POSTGRES_VERSION_MISMATCH',
          `The data directory ${dataDir} was made by PostgreSQL ${major}, but this Steadfast ships PostgreSQL ${binaries.major}. Upgrade it with pg_upgrade from PostgreSQL ${binaries.major}, or set STEADFAST_HOME to a new directory.`,
        );
      }
      return { created: false };
    }
    await this.prepareDirectory();
    const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}`);
    await writeFile(pwfile, `${this.options.superuserPassword}\n`, { mode: 0o600 });
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    try {
      const args = [
        '-D',
        dataDir,
        '-U',
        this.options.superuser,
        `--pwfile=${pwfile}`,
        '-A',
        'scram-sha-256',
        '-E',
        'UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--data-checksums',
      ];
      const { code, output } = await this.runOnce(binaries.initdb, args);
      if (code !== 0) {
        await rm(dataDir, { recursive: true, force: true });
        throw appError('POSTGRES_START_FAILED', `initdb failed for ${dataDir} (exit ${code}):\n${output.trim()}`);
      }
    } finally {
      await rm(pwfile, { force: true });
    }
    await writeFile(
      path.join(dataDir, 'postgresql.conf'),
      "\n# Steadfast's settings, rewritten on every start.\ninclude_if_exists = 'steadfast.conf'\n",
      { flag: 'a' },
    );
    this.options.log.info({ dataDir }, 'initialised a new PostgreSQL data directory');
    return { created: true };
  }

  /** Starts the server and resolves once it accepts connections. */
  async start(): Promise<void> {
    const { dataDir } = this.options;
    await assertNotServed(dataDir);
    this.stopping = false;
    if (this.options.fixedPort && this.options.port !== 0 && !(await isPortFree(this.options.port))) {
      throw appError(
        'POSTGRES_START_FAILED',
        `Port ${this.options.port} is taken by another program, and this PostgreSQL must keep it: its standbys (replicationPeers) connect to it there. Stop that program, or change postgresPort here and on the standbys.`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      const preferred = attempt === 1 && this.options.port !== 0 && (await isPortFree(this.options.port));
      const port = preferred ? this.options.port : await findFreePort();
      try {
        await this.launch(port);
        return;
      } catch (error) {
        // Another program may have taken the port between our check and Postgres's bind.
        if (attempt >= 3 || !/could not (bind|create listen)/i.test(String((error as Error).message))) throw error;
      }
    }
  }

  /** Fast shutdown: open transactions are rolled back, then the server exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    const child = this.child;
    if (!child || hasExited(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    if (!(await settlesWithin(exited, stopTimeoutMs))) {
      this.options.log.warn('PostgreSQL did not stop in time; sending immediate shutdown');
      child.kill('SIGQUIT');
      if (!(await settlesWithin(exited, 5000))) child.kill('SIGKILL');
    }
    await exited;
    this.options.log.info('PostgreSQL stopped');
  }

  private async launch(port: number): Promise<void> {
    const { dataDir, binaries, runAs, log } = this.options;
    await this.writeSettings(port);
    const output = this.recent;
    output.length = 0;
    const child = this.spawnAsPostgres(binaries.postgres, ['-D', dataDir, '-p', String(port)]);
    this.child = child;
    this.pipeLogs(child, output);
    const exitedEarly = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          appError(
            'POSTGRES_START_FAILED',
            `PostgreSQL exited while starting (${signal ?? `exit ${code}`}):\n${output.slice(-15).join('\n')}`,
          ),
        ),
      ),
    );
    exitedEarly.catch(() => undefined);
    await Promise.race([this.waitUntilReady(child), exitedEarly]);
    if (hasExited(child)) await exitedEarly;
    // The checkpointer starts during recovery and then sleeps for checkpoint_timeout without
    // looking at archive_timeout, so for the first minutes after a start a quiet server would not
    // close its WAL segment at all (measured: >200 s with archive_timeout = 10 s). A reload wakes it
    // to recompute its sleep now that recovery is over; it changes no setting.
    if (this.settings.archive_timeout !== undefined) child.kill('SIGHUP');
    this.currentPort = port;
    child.once('exit', (code, signal) => {
      this.restarting = this.onExit(code, signal).finally(() => (this.restarting = undefined));
    });
    log.info({ port, postgresPid: child.pid, runAs: runAs?.user }, 'PostgreSQL is ready');
  }

  /** Until `postmaster.pid` says it accepts connections; ends at once when the server exits (launch reports why). */
  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? startTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !hasExited(child)) {
      const info = await readPostmasterPid(this.options.dataDir);
      if (info && info.pid === child.pid && acceptsConnections(info)) return;
      await sleep(25);
    }
    if (hasExited(child)) return; // The exit handler in launch has the reason.
    child.kill('SIGQUIT');
    throw appError('POSTGRES_START_FAILED', `PostgreSQL did not become ready within ${timeoutMs / 1000} s.`);
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.stopping) return;
    const { log } = this.options;
    if (this.options.restartOnCrash === false) {
      this.emit('crash', { code, signal });
      return;
    }
    log.error({ code, signal }, 'PostgreSQL exited unexpectedly; restarting it');
    this.emit('crash', { code, signal });
    const now = Date.now();
    this.restarts = [...this.restarts.filter((at) => now - at < 60_000), now];
    if (this.restarts.length > maxRestartsPerMinute) {
      const error = appError(
        'POSTGRES_START_FAILED',
        `PostgreSQL crashed ${this.restarts.length} times within a minute; giving up. Read its log lines above.`,
      );
      log.fatal(error.message);
      this.emit('fatal', error);
      return;
    }
    for (let attempt = 1; !this.stopping; attempt++) {
      await sleep(Math.min(200 * 2 ** attempt, 5000));
      if (this.stopping) return;
      try {
        // Same port when we can, so clients with a connection string reconnect.
        await this.launch(this.currentPort);
        this.emit('restarted', this.currentPort);
        log.warn({ port: this.currentPort, attempt }, 'PostgreSQL restarted after a crash');
        return;
      } catch (error) {
        log.warn({ err: error, attempt }, 'PostgreSQL restart attempt failed');
        if (attempt >= 10) {
          this.emit('fatal', error);
          return;
        }
      }
    }
  }

  private async prepareDirectory(): Promise<void> {
    const { dataDir, runAs } = this.options;
    await prepareDataDirParent(dataDir, runAs);
    try {
      const info = await stat(dataDir);
      if (info.isDirectory()) await rm(dataDir, { recursive: true }); // No PG_VERSION: a failed initdb's leftovers.
    } catch {
      // Does not exist: initdb creates it.
    }
  }

  private async writeSettings(port: number): Promise<void> {
    const { dataDir, runAs, maxConnections, tls } = this.options;
    const settings = this.settings;
    const owner = runAs ? { uid: runAs.uid, gid: runAs.gid } : undefined;
    await writeFileAtomic(path.join(dataDir, 'pg_hba.conf'), this.options.hbaRules ?? hbaRules, owner);
    const tlsSettings = tls ? await installServerTls(dataDir, tls, owner) : {};
    const conf = steadfastConf({
      listen_addresses: this.options.listenAddresses ?? '127.0.0.1',
      port,
      unix_socket_directories: '',
      max_connections: maxConnections,
      password_encryption: 'scram-sha-256',
      logging_collector: 'off',
      log_destination: 'stderr',
      log_line_prefix: '%m [%p] %q%u@%d ',
      ...tlsSettings,
      ...settings,
    });
    await writeFileAtomic(path.join(dataDir, 'steadfast.conf'), conf, owner);
  }

  private spawnAsPostgres(program: string, args: string[]): ChildProcess {
    const { runAs } = this.options;
    const identity = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups'] : [];
    // pdeathsig INT: a fast shutdown of Postgres if this process dies without stopping it.
    // A process group of its own (detached): Ctrl-C on a terminal reaches us, not Postgres, which we
    // stop last, once requests are drained and the app's connections closed.
    return spawn('setpriv', ['--pdeathsig', 'INT', ...identity, '--', program, ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' },
    });
  }

  private runOnce(program: string, args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = this.spawnAsPostgres(program, args);
      let output = '';
      child.stdout?.on('data', (chunk) => (output += chunk));
      child.stderr?.on('data', (chunk) => (output += chunk));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, output }));
    });
  }

  private pipeLogs(child: ChildProcess, recent: string[]): void {
    const log = this.options.log;
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      recent.push(line);
      if (recent.length > 50) recent.shift();
      // A connection refused while the server starts, recovers or stops: the client waits for that (debug).
      if (this.stopping || transitionRefusal.test(line)) log.debug({ postgres: line }, 'postgres');
      else if (/\b(PANIC|FATAL):/.test(line)) log.warn({ postgres: line }, 'postgres');
      else if (/\bWARNING:/.test(line)) log.warn({ postgres: line }, 'postgres');
      else log.debug({ postgres: line }, 'postgres');
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
  }
}

/**
 * Makes the directory a data directory goes in: private to the Postgres user, its ancestors we
 * create searchable for it; refuses one that user cannot reach, saying what to change.
 */
export async function prepareDataDirParent(dataDir: string, runAs: RunAs | undefined): Promise<void> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  await chmod(parent, 0o700);
  if (!runAs) return;
  await chown(parent, runAs.uid, runAs.gid);
  const reach = await isReachableBy(parent, runAs);
  if (!reach.ok) {
    throw appError(
      'DATA_DIR_UNREACHABLE',
      `The PostgreSQL user "${runAs.user}" cannot reach ${parent}: ${reach.blockedAt} is not searchable for it. Set STEADFAST_HOME to a directory under a searchable path (for example /var/lib/steadfast), or run "chmod o+x ${reach.blockedAt}".`,
    );
  }
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Whether `promise` settles within `ms`; the timer is cleared either way so it keeps no process alive. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port to listen on. Chosen below the kernel's ephemeral range (Linux: 32768-60999, from
 * /proc/sys/net/ipv4/ip_local_port_range): a port from that range, free when asked, can be taken
 * a moment later by any outgoing connection before the server that asked for it listens (seen as
 * a rare EADDRINUSE in the failover drill). Falls back to the kernel's pick if none is found.
 */
/** Ports this process handed out lately: two callers that have not listened yet never get the same one. */
const handedOut = new Set<number>();

export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const ephemeralLow = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .then((text) => Number(text.trim().split(/\s+/)[0]) || 32768)
    .catch(() => 32768);
  const low = 10_000;
  if (ephemeralLow > low + 1000)
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + randomInt(ephemeralLow - low);
      if (handedOut.has(port) || !(await isPortFree(port, host))) continue;
      handedOut.add(port);
      if (handedOut.size > 500) handedOut.delete(handedOut.values().next().value!);
      return port;
    }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
