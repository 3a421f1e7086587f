import { EventEmitter } from 'node:events';
import type { Config } from '../../platform/config/config.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { readControlFile } from '../../platform/postgres/control-file.js';
import { readDataDirMajor } from '../../platform/postgres/data-dir.js';
import { embeddedDataDir } from '../../platform/postgres/embedded.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { isInRecovery, readNodePosition } from '../../platform/postgres/replication-status.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { askNode } from './replication.control.client.js';
import { startNodeControl } from './replication.control.routes.js';
import type { FenceReport, FenceRequest, NodeReport } from './replication.control.schema.js';
import { fencedFile, readFenced, writeFenced, type FencedState } from './replication.fencing.js';
import { sampleReplication } from './replication.history.js';
import { controlHost, findNewerPrimary } from './replication.peers.js';
import {
  copyPrimary,
  dropStaleSlots,
  followOnOwnData,
  setAsideDiverged,
  type RejoinContext,
} from './replication.rejoin.js';
import { defaultTimings, type NodePorts, type NodeTimings, type ServingPlatform } from './replication.ports.js';
import { startStandbyOn, type RunningStandby } from './replication.standby.js';
import { hasStandbySlot, nodeTls, readStandbyState, standbyStateFile, type StandbyState } from './replication.state.js';
import { fenceReport, markFor, reportOfDataDir, reportOfServer } from './replication.reports.js';
import { Rounds } from './replication.rounds.js';
import { SyncSettler, type ModeChange, type ModeChanged } from './replication.sync.js';

export type NodeRole = 'primary' | 'standby' | 'fenced';

/** PostgreSQL's words when a standby's WAL went on past the point where its primary's timeline forked off. */
const divergedPattern =
  /forked off current database system timeline|is not in this server's history|is ahead of the WAL flush position of this server/;

type State =
  | { readonly kind: 'starting' }
  | { readonly kind: 'primary'; readonly platform: ServingPlatform }
  | { readonly kind: 'standby'; readonly standby: RunningStandby }
  | { readonly kind: 'fenced'; readonly fenced: FencedState }
  | { readonly kind: 'stopped' };

/**
 * One node of the embedded platform as `steadfast up` runs it: a primary serving tenants, a
 * standby following one, or a fenced former primary waiting to follow the node that took
 * over. It moves between these by itself:
 *  - a standby promoted (`steadfast failover`) starts serving on its running PostgreSQL;
 *  - a primary asked to stand down (the control API's fence), or that finds a peer primary on
 *    a later timeline, marks itself fenced, stops its PostgreSQL, and re-joins that peer as a
 *    standby without a new copy (its WAL ends where the peer's history forked);
 *  - a node starting with the fenced mark, or finding on start that a peer took over, never
 *    starts as a primary.
 */
export class PlatformNode extends EventEmitter {
  private state: State = { kind: 'starting' };
  private control: { port: number; close(): Promise<void> } | undefined;
  private readonly rounds: Rounds;
  /** Changes of state, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private tls: TlsFiles | undefined;
  private dataDir = '';
  /** The running primary's synchronous commit, kept in line with its standbys. */
  private readonly sync: SyncSettler;
  /** The server of a primary whose platform is starting. */
  private primaryDatabase: DatabaseHandle | undefined;
  /** The platform of a primary that stood down, still draining. */
  private closing: Promise<void> = Promise.resolve();
  private resolveFatal!: (error: Error) => void;
  readonly fatal = new Promise<Error>((resolve) => (this.resolveFatal = resolve));

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly ports: NodePorts,
    private readonly timings: NodeTimings = defaultTimings,
  ) {
    super();
    this.rounds = new Rounds(log, () => this.state.kind);
    this.sync = new SyncSettler(config, log, (wait) => ports.serverSettings(this.dataDir, this.tls, wait));
  }

  get role(): NodeRole | 'starting' | 'stopped' {
    return this.state.kind;
  }

  /** The platform while this node is the primary. */
  get platform(): ServingPlatform | undefined {
    return this.state.kind === 'primary' ? this.state.platform : undefined;
  }

  get standby(): RunningStandby | undefined {
    return this.state.kind === 'standby' ? this.state.standby : undefined;
  }

  get controlPort(): number | undefined {
    return this.control?.port;
  }

  async start(): Promise<void> {
    const { config } = this;
    this.tls = await nodeTls(config.home);
    this.dataDir = await embeddedDataDir(config, await ensurePostgresOsUser(config.postgresOsUser));
    if (this.tls && (config.replicationPeers.length > 0 || config.clusterNodes.length > 0)) {
      this.control = await startNodeControl(
        this.tls,
        { host: controlHost(config), port: config.nodeControlPort },
        {
          report: () => this.report(),
          fence: (request) => this.fence(request),
          resume: (by, from) => this.resume(by, from),
          setMode: (request) => this.setMode(request),
        },
        this.log.child({ component: 'node-control' }),
      );
    }
    try {
      await this.serially(() => this.enter());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.serially(async () => {
      this.rounds.clear();
      const state = this.state;
      this.state = { kind: 'stopped' };
      if (state.kind === 'primary') await state.platform.stop();
      if (state.kind === 'standby') await state.standby.stop();
      await this.closing;
    });
    await this.control?.close();
    this.control = undefined;
  }

  /** What this node is, for a peer's question. */
  async report(): Promise<NodeReport> {
    const state = this.state;
    const name = this.config.nodeName;
    const database =
      state.kind === 'primary'
        ? state.platform.platform.database
        : state.kind === 'standby'
          ? state.standby.database
          : undefined;
    if (database) return reportOfServer(name, database);
    return reportOfDataDir(name, this.dataDir, state.kind === 'fenced' ? 'fenced' : 'stopped');
  }

  /** A peer taking over asks this node to stand down: answered once its PostgreSQL has stopped. */
  fence(request: FenceRequest): Promise<FenceReport> {
    const mark: FencedState = {
      by: request.by,
      host: request.host,
      postgresPort: request.postgresPort,
      controlPort: request.controlPort,
      reason: request.reason,
      at: new Date().toISOString(),
    };
    const answer = (): Promise<FenceReport> => fenceReport(this.config.nodeName, this.dataDir);
    const state = this.state;
    if (state.kind === 'standby')
      return Promise.reject(
        appError(
          'NODE_STATE_CONFLICT',
          `${this.config.nodeName} is a standby, not a primary: there is nothing to fence.`,
        ),
      );
    if (state.kind === 'fenced') {
      // Only one node takes over: a second taker would make two primaries on the same timeline.
      if (state.fenced.by !== request.by)
        return Promise.reject(
          appError(
            'NODE_STATE_CONFLICT',
            `${this.config.nodeName} was already fenced by ${state.fenced.by}; ${request.by} must not take over as well.`,
          ),
        );
      return answer();
    }
    if (state.kind === 'primary') return this.serially(async () => (await this.standDown(mark), answer()));
    // Starting (its platform may be coming up behind the queue) or stopped: marked at once, and a
    // server already started is stopped, so the start that is under way ends fenced, not serving.
    return (async () => {
      await writeFenced(this.config.home, mark);
      this.log.warn(mark, 'fenced while not serving: this node will follow the node that took over');
      await this.primaryDatabase?.supervisor?.stop();
      return answer();
    })();
  }

  /**
   * The node that fenced this one did not take over (a switchover that could not finish without
   * loss): this node is the primary again. Only that node may say so, and only before it is
   * primary itself.
   */
  resume(by: string, from: string): Promise<NodeReport> {
    return this.serially(async () => {
      const state = this.state;
      if (state.kind !== 'fenced')
        throw appError('NODE_STATE_CONFLICT', `${this.config.nodeName} is not fenced; there is nothing to resume.`);
      // Only the node that fenced this one, from where it fenced it: every node's certificate has the same name.
      if (state.fenced.by !== by || state.fenced.host !== from)
        throw appError(
          'NODE_STATE_CONFLICT',
          `${this.config.nodeName} was fenced by ${state.fenced.by} at ${state.fenced.host}; only that node can give it back.`,
        );
      const taker = await askNode(this.tls!, { host: state.fenced.host, port: state.fenced.controlPort });
      if (taker.role === 'primary')
        throw appError(
          'NODE_STATE_CONFLICT',
          `${by} is a primary already; ${this.config.nodeName} follows it instead of resuming.`,
        );
      this.rounds.clear();
      await this.closing;
      await fencedFile(this.config.home).forget();
      await this.runPrimary();
      return this.report();
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Chooses what to run as from the marks in the home, and what the peers say. */
  private async enter(): Promise<void> {
    const { config } = this;
    const standby = await readStandbyState(config.home);
    const fenced = await readFenced(config.home);
    const hasData = (await readDataDirMajor(this.dataDir)) !== undefined;
    if (standby && hasData) return this.runStandby(standby);
    if (fenced) return this.enterFenced(fenced);
    if (standby)
      throw appError(
        'STANDBY_MISCONFIGURED',
        `${config.home}/standby.json says this node follows ${standby.primary.host}:${standby.primary.port}, but it has no data directory (${this.dataDir}): a join was interrupted. Run "steadfast standby join --replace ${standby.primary.host}:${standby.primary.port}" to copy the primary again.`,
      );
    if (this.tls && config.clusterNodes.length > 0 && hasData) {
      const own = await readControlFile(this.dataDir);
      const newer = await findNewerPrimary(config, this.tls, own, this.log);
      if (newer) {
        const reason = `on start, ${newer.name} was found primary on timeline ${newer.timeline}, later than this node's ${own.timeline}`;
        const mark = markFor(newer, reason, own.timeline);
        await writeFenced(config.home, mark);
        this.log.warn(
          mark,
          'a peer took over while this node was down: not starting as a primary; it will follow that peer',
        );
        return this.enterFenced(mark);
      }
    }
    return this.runPrimary();
  }

  private async runPrimary(handOver?: RunningStandby): Promise<void> {
    // Started here, the server took its settings from what its data directory holds (a standby's slot: wait for it).
    if (!handOver) this.sync.reset(await hasStandbySlot(this.dataDir));
    // The server first, then the platform on it: while the platform starts (its first writes may
    // wait for an absent synchronous standby), the mode can already be changed on this server.
    const database = handOver?.database ?? (await this.ports.startDatabase());
    this.primaryDatabase = database;
    let platform: ServingPlatform;
    try {
      platform = await this.ports.startPlatform(database);
    } catch (error) {
      // Fenced while starting: its server was stopped under it. It follows the node that took over.
      const mark = await readFenced(this.config.home);
      if (!mark) throw error;
      this.enterFenced(mark);
      return;
    } finally {
      this.primaryDatabase = undefined;
    }
    const fencedMeanwhile = await readFenced(this.config.home);
    if (fencedMeanwhile) {
      await platform.stop();
      this.enterFenced(fencedMeanwhile);
      return;
    }
    this.state = { kind: 'primary', platform };
    void platform.fatal.then(
      (error) => this.state.kind === 'primary' && this.state.platform === platform && this.resolveFatal(error),
    );
    this.emit('role', 'primary');
    this.watchAsPrimary(platform);
  }

  /** While primary, every syncCheckMs: the synchronous wait settled; now and then the peers asked and replication sampled. */
  private watchAsPrimary(platform: ServingPlatform): void {
    let round = 0;
    const everyNth = (ms: number): boolean => round % Math.max(1, Math.round(ms / this.timings.syncCheckMs)) === 0;
    this.rounds.every(this.timings.syncCheckMs, async () => {
      round++;
      // Each on its own: a failing one (a damaged file, a busy database) must not stop the others, least of all the peer watch.
      const checks: Array<Promise<void>> = [];
      if (this.tls && this.config.clusterNodes.length > 0 && everyNth(this.timings.peerWatchMs))
        checks.push(this.watchPeers(platform));
      checks.push(this.sync.settle(platform.platform.database, 'check'));
      if (everyNth(this.timings.sampleMs))
        checks.push(sampleReplication(platform.platform, this.config.nodeName, everyNth(3_600_000)));
      const failed = (await Promise.allSettled(checks)).find(
        (result): result is PromiseRejectedResult => result.status === 'rejected',
      );
      if (failed) throw failed.reason;
    });
  }

  /**
   * `steadfast replication mode`: runs this primary asynchronously whatever replicationMode says
   * (the synchronous standby is gone and writes must go on), or back in the configured mode.
   */
  setMode(request: ModeChange): Promise<ModeChanged> {
    // Not queued behind other changes: a primary whose start waits for its standby must be able to stop waiting.
    const database = this.state.kind === 'primary' ? this.state.platform.platform.database : this.primaryDatabase;
    if (!database) {
      const what =
        this.state.kind === 'stopped' || this.state.kind === 'starting'
          ? 'not running as a primary'
          : `a ${this.state.kind} node`;
      return Promise.reject(
        appError(
          'NODE_STATE_CONFLICT',
          `${this.config.nodeName} is ${what}: the replication mode is the primary's to change.`,
        ),
      );
    }
    return this.sync.changeMode(database, request);
  }

  private async runStandby(standby: StandbyState): Promise<void> {
    const running = await startStandbyOn(await this.ports.startDatabase(), this.config, this.log, standby);
    this.state = { kind: 'standby', standby: running };
    void running.fatal.then(
      (error) => this.state.kind === 'standby' && this.state.standby === running && this.resolveFatal(error),
    );
    this.emit('role', 'standby', standby.primary);
    this.rounds.every(this.timings.promotionPollMs, async () => {
      if (running.database.supervisor?.recentLog.some((line) => divergedPattern.test(line)))
        return this.serially(() => this.rebuild(running, standby));
      const inRecovery = await withServer(running.database, isInRecovery);
      if (!inRecovery) await this.serially(() => this.promoted(running));
    });
  }

  /** The standby's PostgreSQL was promoted: it becomes the primary's settings and starts serving. */
  private async promoted(running: RunningStandby): Promise<void> {
    if (this.state.kind !== 'standby' || this.state.standby !== running) return;
    this.rounds.clear();
    this.log.warn('this node was promoted: it is the primary now, and starts serving');
    await standbyStateFile(this.config.home).forget();
    await fencedFile(this.config.home).forget();
    this.sync.reset(false);
    try {
      await this.sync.settle(running.database, 'start');
      await this.runPrimary(running);
    } catch (error) {
      // Promoted but not serving: the process must say so and end, not sit idle as no primary at all.
      this.log.error({ err: error }, 'promoted, but the platform did not start');
      this.resolveFatal(error as Error);
    }
  }

  /** While primary: a peer primary on a later timeline means this node was failed over from; it stands down. */
  private async watchPeers(platform: ServingPlatform): Promise<void> {
    const position = await withServer(platform.platform.database, readNodePosition);
    const newer = await findNewerPrimary(this.config, this.tls!, position, this.log);
    if (!newer) return;
    await this.serially(async () => {
      if (this.state.kind !== 'primary' || this.state.platform !== platform) return;
      const reason = `${newer.name} is primary on timeline ${newer.timeline}, later than this node's ${position.timeline}`;
      await this.standDown(markFor(newer, reason, position.timeline));
    });
  }

  /**
   * Stops being a primary: the mark first (so no restart can undo it), then PostgreSQL at once
   * (sessions cut, its last WAL sent to connected standbys on the way down), then the rest.
   */
  private async standDown(mark: FencedState): Promise<void> {
    if (this.state.kind !== 'primary') return;
    const { platform } = this.state;
    const position = await withServer(platform.platform.database, readNodePosition).catch(() => undefined);
    const fenced = { ...mark, timeline: mark.timeline ?? position?.timeline };
    await writeFenced(this.config.home, fenced);
    this.log.warn(fenced, 'standing down: this node is fenced and will follow the node that took over');
    await platform.platform.database.supervisor?.stop();
    this.rounds.clear();
    // PostgreSQL is down, so nothing more is written: the answer need not wait for HTTP to drain.
    // Re-joining does (closing), so the two never overlap.
    this.closing = platform
      .stop()
      .catch((error: unknown) =>
        this.log.error({ err: error }, 'error while stopping the platform after standing down'),
      );
    this.enterFenced(fenced);
  }

  /** Fenced: asks the node that took over until it is a primary, then follows it. */
  private enterFenced(fenced: FencedState): void {
    this.state = { kind: 'fenced', fenced };
    this.emit('role', 'fenced', fenced);
    this.rounds.every(this.timings.rejoinPollMs, async () => {
      const report = await askNode(this.tls!, { host: fenced.host, port: fenced.controlPort });
      if (report.role !== 'primary') return;
      await this.serially(() => this.rejoin(fenced));
    });
  }

  /**
   * Follows the node that took over, on this node's own data directory: a slot on it, a
   * standby.signal here. A clean stand-down left WAL ending where that node's timeline forked,
   * so it follows at once; a node that crashed with WAL the other never received cannot, and
   * finds out once it runs as a standby, and is copied anew (rebuild).
   */
  private async rejoin(fenced: FencedState): Promise<void> {
    if (this.state.kind !== 'fenced') return;
    this.rounds.clear();
    await this.closing;
    const primary = { host: fenced.host, port: fenced.postgresPort };
    try {
      const standby =
        (await readDataDirMajor(this.dataDir)) === undefined
          ? await copyPrimary(this.rejoinContext(), fenced, primary)
          : await followOnOwnData(this.rejoinContext(), fenced, primary);
      await this.runStandby(standby);
      if (this.standby) await dropStaleSlots(this.standby.database, this.log);
    } catch (error) {
      // Still fenced (the mark stays until a standby runs): try again at the next round.
      this.log.error({ err: error }, 're-joining as a standby failed; trying again');
      await standbyStateFile(this.config.home).forget();
      this.enterFenced(fenced);
      return;
    }
    // In recovery now, so it cannot take writes: the fenced mark has done its work.
    await fencedFile(this.config.home).forget();
  }

  /**
   * A standby whose WAL went on past the point where its primary's timeline forked: marked
   * fenced again, its data directory kept aside, and the primary copied anew.
   */
  private async rebuild(running: RunningStandby, standby: StandbyState): Promise<void> {
    if (this.state.kind !== 'standby' || this.state.standby !== running) return;
    this.rounds.clear();
    this.enterFenced(await setAsideDiverged(this.rejoinContext(), running, standby));
  }

  private rejoinContext(): RejoinContext {
    return { config: this.config, log: this.log, tls: this.tls!, dataDir: this.dataDir };
  }
}
