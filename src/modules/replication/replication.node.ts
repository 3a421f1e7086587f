import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import path from 'node:path';
import type { Config } from '../../platform/config/config.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { readControlFile } from '../../platform/postgres/control-file.js';
import { readDataDirMajor } from '../../platform/postgres/data-dir.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { createStandbySlot } from '../../platform/postgres/replication.js';
import { isInRecovery, readNodePosition, readReplicationState } from '../../platform/postgres/replication-status.js';
import { pruneSamples, recordSamples, samplesOf } from './replication.history.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import { embeddedDataDir } from '../../platform/postgres/embedded.js';
import { movePath, writeEmptyFile } from '../../platform/storage/local-files.js';
import { askNode } from './replication.control.client.js';
import { startNodeControl } from './replication.control.routes.js';
import type { FenceReport, FenceRequest, NodeReport } from './replication.control.schema.js';
import { fencedFile, readFenced, writeFenced, type FencedState } from './replication.fencing.js';
import { controlAddressOf, controlHost, findNewerPrimary } from './replication.peers.js';
import { joinStandby } from './replication.join.js';
import { divergedCopyName } from './replication.rejoin.js';
import { effectiveMode, replicationTarget, type SyncWait } from './replication.settings.js';
import { startStandbyOn, type RunningStandby } from './replication.standby.js';
import {
  auditReplication,
  hasStandbySlot,
  modeOverrideFile,
  nodeTls,
  readModeOverride,
  readStandbyState,
  slotName,
  standbyStateFile,
  type ModeOverride,
  type StandbyState,
} from './replication.state.js';

/** What a primary node serves once its PostgreSQL runs: the platform (app's to build), as much of it as replication needs. */
export interface ServingPlatform {
  readonly platform: { readonly database: DatabaseHandle; readonly db: Kysely<PlatformTables> };
  /** Where people open it, and its HTTP port, for the terminal's banner. */
  readonly entryUrl?: string;
  readonly port?: number;
  readonly fatal: Promise<Error>;
  stop(): Promise<void>;
}

/** What a node starts but does not own: given by the composition root, so replication never imports app/. */
export interface NodePorts {
  /** Starts this home's embedded PostgreSQL, with the settings its marks (standby.json, ...) say. */
  startDatabase(): Promise<DatabaseHandle>;
  /** Starts serving on a primary's running PostgreSQL. */
  startPlatform(database: DatabaseHandle): Promise<ServingPlatform>;
  /** The running primary's server settings, for a reload when its synchronous wait changes. */
  serverSettings(dataDir: string, tls: TlsFiles | undefined, wait: SyncWait): Record<string, string | number>;
}

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

export interface NodeTimings {
  /** How often a standby looks whether it was promoted. */
  readonly promotionPollMs: number;
  /** How often a primary asks its peers whether one of them took over. */
  readonly peerWatchMs: number;
  /** How often a primary in a synchronous mode looks whether a standby streams (to wait for it) or its slot is gone. */
  readonly syncCheckMs: number;
  /** How often a primary records its standbys' state and lag in the platform database. */
  readonly sampleMs: number;
  /** How often a fenced node asks the node that took over whether it is primary yet. */
  readonly rejoinPollMs: number;
}

const defaultTimings: NodeTimings = {
  promotionPollMs: 250,
  peerWatchMs: 5000,
  syncCheckMs: 1000,
  sampleMs: 10_000,
  rejoinPollMs: 1000,
};

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
  private timer: NodeJS.Timeout | undefined;
  /** Changes of state, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private tls: TlsFiles | undefined;
  private dataDir = '';
  /** Whether the running primary's commits wait for a standby (synchronous modes), and the replication settings last reloaded. */
  private waitingForStandby = false;
  private appliedSettings = '';
  private settling: Promise<void> = Promise.resolve();
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
      this.clearTimer();
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
    if (database) {
      const position = await withServer(database, readNodePosition);
      return {
        name,
        role: position.standby ? 'standby' : 'primary',
        timeline: position.timeline,
        systemIdentifier: position.systemIdentifier,
        postgresPort: database.supervisor?.port,
        lsn: position.lsn ?? undefined,
      };
    }
    const control =
      (await readDataDirMajor(this.dataDir)) === undefined ? undefined : await readControlFile(this.dataDir);
    return {
      name,
      role: state.kind === 'fenced' ? 'fenced' : 'stopped',
      timeline: control?.timeline,
      systemIdentifier: control?.systemIdentifier,
      lsn: control?.checkpointLsn,
    };
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
    const answer = async (): Promise<FenceReport> => {
      const control = await readControlFile(this.dataDir);
      return {
        name: this.config.nodeName,
        fenced: true,
        state: control.state,
        timeline: control.timeline,
        checkpointLsn: control.checkpointLsn,
      };
    };
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
      this.clearTimer();
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
        const mark: FencedState = {
          by: newer.name,
          host: newer.host,
          postgresPort: newer.postgresPort,
          controlPort: newer.controlPort,
          reason: `on start, ${newer.name} was found primary on timeline ${newer.timeline}, later than this node's ${own.timeline}`,
          at: new Date().toISOString(),
          timeline: own.timeline,
        };
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
    if (!handOver) {
      this.waitingForStandby = await hasStandbySlot(this.dataDir);
      this.appliedSettings = '';
    }
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
    let round = 0;
    const everyNth = (ms: number): boolean => round % Math.max(1, Math.round(ms / this.timings.syncCheckMs)) === 0;
    this.every(this.timings.syncCheckMs, async () => {
      round++;
      // Each on its own: a failing one (a damaged file, a busy database) must not stop the others, least of all the peer watch.
      const checks: Array<Promise<void>> = [];
      if (this.tls && this.config.clusterNodes.length > 0 && everyNth(this.timings.peerWatchMs))
        checks.push(this.watchPeers(platform));
      checks.push(this.settleSynchronous(platform.platform.database, 'check'));
      if (everyNth(this.timings.sampleMs)) checks.push(this.sampleReplication(platform, everyNth(3_600_000)));
      const failed = (await Promise.allSettled(checks)).find(
        (result): result is PromiseRejectedResult => result.status === 'rejected',
      );
      if (failed) throw failed.reason;
    });
  }

  /** Replication as this primary sees it now, into the platform database for the status page; old samples pruned now and then. */
  private async sampleReplication(platform: ServingPlatform, prune: boolean): Promise<void> {
    const { database, db } = platform.platform;
    const state = await withServer(database, readReplicationState);
    const now = new Date();
    await recordSamples(db, samplesOf(state, this.config.nodeName, now));
    if (prune) await pruneSamples(db, now);
  }

  /**
   * Brings synchronous commit in line with what this primary has: in a synchronous mode, commits
   * wait once a standby of its own streams from it, and for as long as that standby's slot
   * exists (gone for a while, it is waited for; its slot dropped, it is not), unless an operator
   * set the mode to async. A change is reloaded into the running server and audited.
   */
  private settleSynchronous(database: DatabaseHandle, cause: 'check' | 'start'): Promise<void> {
    // One at a time: two reloads finishing in the other order could leave the server's settings and ours apart.
    const run = this.settling.then(() => this.settleNow(database, cause));
    this.settling = run.catch(() => undefined);
    return run;
  }

  private async settleNow(database: DatabaseHandle, cause: 'check' | 'start'): Promise<void> {
    const override = await readModeOverride(this.config.home);
    const slots = await withServer(
      database,
      async (client) =>
        (
          await client.query<{ active: boolean }>(
            "SELECT active FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT temporary AND slot_name LIKE 'steadfast\\_%'",
          )
        ).rows,
    );
    const forStandby =
      effectiveMode(this.config, override) !== 'async' &&
      (slots.some((slot) => slot.active) || (this.waitingForStandby && slots.length > 0));
    const settings = this.ports.serverSettings(this.dataDir, this.tls, { override, forStandby });
    const key = JSON.stringify(settings);
    if (key === this.appliedSettings) return;
    await database.supervisor?.reconfigure(settings);
    const changed = this.appliedSettings !== '' && forStandby !== this.waitingForStandby;
    this.appliedSettings = key;
    this.waitingForStandby = forStandby;
    if (!changed || cause === 'start' || this.config.replicationMode === 'async' || override) return;
    const reason = forStandby
      ? 'a standby streams from this node: commits wait for it'
      : 'no standby slot is left on this node: commits no longer wait';
    this.log.warn({ mode: this.config.replicationMode }, reason);
    await auditReplication(database.admin, 'system:steadfast', 'replication.mode', {
      node: this.config.nodeName,
      to: forStandby ? this.config.replicationMode : 'async',
      reason,
    });
  }

  /**
   * `steadfast replication mode`: runs this primary asynchronously whatever replicationMode says
   * (the synchronous standby is gone and writes must go on), or back in the configured mode.
   */
  setMode(request: {
    mode: 'async' | 'configured';
    reason: string;
    actor: string;
    from?: string;
  }): Promise<{ mode: string; configured: string; override?: ModeOverride }> {
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
    return this.changeMode(database, request);
  }

  private async changeMode(
    database: DatabaseHandle,
    request: { mode: 'async' | 'configured'; reason: string; actor: string; from?: string },
  ): Promise<{ mode: string; configured: string; override?: ModeOverride }> {
    const before = effectiveMode(this.config, await readModeOverride(this.config.home));
    const entry = (to: string): Promise<void> =>
      auditReplication(database.admin, request.actor, 'replication.mode', {
        node: this.config.nodeName,
        from: before,
        to,
        reason: request.reason,
        ...(request.from ? { via: request.from } : {}),
      });
    let override: ModeOverride | undefined;
    if (request.mode === 'async') {
      override = { mode: 'async', by: request.actor, reason: request.reason, at: new Date().toISOString() };
      await modeOverrideFile(this.config.home).write(override);
      await this.settleSynchronous(database, 'check');
      await entry('async'); // written once commits no longer wait, or it would wait too
    } else {
      await entry(this.config.replicationMode); // written before commits wait again
      await modeOverrideFile(this.config.home).forget();
      // Asked for the configured mode: commits wait for this node's standby at once, even while it is away.
      this.waitingForStandby = true;
      await this.settleSynchronous(database, 'check');
    }
    const mode = effectiveMode(this.config, override);
    this.log.warn({ from: before, to: mode, by: request.actor, reason: request.reason }, 'replication mode changed');
    return { mode, configured: this.config.replicationMode, override };
  }

  private async runStandby(standby: StandbyState): Promise<void> {
    const running = await startStandbyOn(await this.ports.startDatabase(), this.config, this.log, standby);
    this.state = { kind: 'standby', standby: running };
    void running.fatal.then(
      (error) => this.state.kind === 'standby' && this.state.standby === running && this.resolveFatal(error),
    );
    this.emit('role', 'standby', standby.primary);
    this.every(this.timings.promotionPollMs, async () => {
      if (running.database.supervisor?.recentLog.some((line) => divergedPattern.test(line)))
        return this.serially(() => this.rebuild(running, standby));
      const inRecovery = await withServer(running.database, isInRecovery);
      if (!inRecovery) await this.serially(() => this.promoted(running));
    });
  }

  /** The standby's PostgreSQL was promoted: it becomes the primary's settings and starts serving. */
  private async promoted(running: RunningStandby): Promise<void> {
    if (this.state.kind !== 'standby' || this.state.standby !== running) return;
    this.clearTimer();
    this.log.warn('this node was promoted: it is the primary now, and starts serving');
    await standbyStateFile(this.config.home).forget();
    await fencedFile(this.config.home).forget();
    this.waitingForStandby = false;
    this.appliedSettings = '';
    try {
      await this.settleSynchronous(running.database, 'start');
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
      await this.standDown({
        by: newer.name,
        host: newer.host,
        postgresPort: newer.postgresPort,
        controlPort: newer.controlPort,
        reason: `${newer.name} is primary on timeline ${newer.timeline}, later than this node's ${position.timeline}`,
        at: new Date().toISOString(),
        timeline: position.timeline,
      });
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
    this.clearTimer();
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
    this.every(this.timings.rejoinPollMs, async () => {
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
    this.clearTimer();
    await this.closing;
    const primary = { host: fenced.host, port: fenced.postgresPort };
    try {
      const standby =
        (await readDataDirMajor(this.dataDir)) === undefined
          ? await this.copyPrimary(fenced, primary)
          : await this.followOnOwnData(fenced, primary);
      await this.runStandby(standby);
      await this.dropStaleSlots();
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

  /** Follows on this node's own data directory: a slot on the new primary, standby.signal here. */
  private async followOnOwnData(fenced: FencedState, primary: { host: string; port: number }): Promise<StandbyState> {
    const slot = slotName(this.config.nodeName);
    await createStandbySlot(await replicationTarget(this.tls!, primary), slot, { replace: true });
    const runAs = await ensurePostgresOsUser(this.config.postgresOsUser);
    await writeEmptyFile(path.join(this.dataDir, 'standby.signal'), runAs && { uid: runAs.uid, gid: runAs.gid });
    const standby: StandbyState = { primary, slot, joinedAt: new Date().toISOString() };
    await standbyStateFile(this.config.home).write(standby);
    this.log.warn({ primary, slot }, `re-joining as a standby of ${fenced.by}, on this node's own data`);
    return standby;
  }

  /** No data directory (moved aside as diverged): a new copy of the primary, as "standby join" makes. */
  private async copyPrimary(fenced: FencedState, primary: { host: string; port: number }): Promise<StandbyState> {
    this.log.warn({ primary }, `copying ${fenced.by} anew to follow it`);
    let loggedAt = 0;
    const joined = await joinStandby(this.config, this.log, primary, {
      replace: true,
      onProgress: (progress) => {
        if (Date.now() - loggedAt < 5000) return;
        loggedAt = Date.now();
        this.log.info({ doneBytes: progress.doneBytes, totalBytes: progress.totalBytes }, `copying ${fenced.by}`);
      },
    });
    this.log.warn({ primary, bytes: joined.bytes, seconds: joined.seconds }, `copied ${fenced.by}; following it`);
    return (await readStandbyState(this.config.home))!;
  }

  /**
   * A standby whose WAL went on past the point where its primary's timeline forked (it crashed
   * with commits the other never received): it cannot follow on its own data. It is marked
   * fenced again (so no restart runs it as a primary), its data directory is kept aside for
   * whoever wants to see what was lost, and the primary is copied anew.
   */
  private async rebuild(running: RunningStandby, standby: StandbyState): Promise<void> {
    if (this.state.kind !== 'standby' || this.state.standby !== running) return;
    this.clearTimer();
    const control = controlAddressOf(this.config, standby.primary.host);
    const report = await askNode(this.tls!, control).catch(() => undefined);
    const mark: FencedState = {
      by: report?.name ?? standby.primary.host,
      host: standby.primary.host,
      postgresPort: standby.primary.port,
      controlPort: control.port,
      reason:
        'this node has WAL its primary never received (written before the failover, after what the new primary had): copied anew',
      at: new Date().toISOString(),
    };
    await writeFenced(this.config.home, mark);
    await standbyStateFile(this.config.home).forget();
    await running.stop();
    const kept = divergedCopyName(this.dataDir, mark.at);
    await movePath(this.dataDir, kept);
    this.log.error(
      { kept, primary: standby.primary },
      `this node's WAL went on past the point where ${mark.by} took over, so it cannot follow it on its own data: the data directory is kept at ${kept} (what was lost in the failover is there; remove it when no longer needed) and ${mark.by} is copied anew`,
    );
    this.enterFenced(mark);
  }

  /** A former primary's slots for its standbys: on a standby they would only hold WAL back (the new primary holds the slots now). */
  private async dropStaleSlots(): Promise<void> {
    const running = this.standby;
    if (!running) return;
    const dropped = await withServer(running.database, async (client) =>
      (
        await client.query<{ slot_name: string }>(
          "SELECT slot_name, pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active AND NOT temporary AND slot_name LIKE 'steadfast\\_%'",
        )
      ).rows.map((row) => row.slot_name),
    ).catch((error: unknown) => {
      this.log.warn(
        { err: error },
        'could not drop the slots this node held as a primary; drop them with pg_drop_replication_slot',
      );
      return [] as string[];
    });
    if (dropped.length) this.log.info({ dropped }, 'dropped the slots this node held as a primary');
  }

  /** Runs `work` every `ms` (after the previous round ends) while the state it was started in lasts; a failed round is logged and retried. */
  private every(ms: number, work: () => Promise<void>): void {
    this.clearTimer();
    let lastLogged = 0;
    const round = async (): Promise<void> => {
      try {
        await work();
      } catch (error) {
        if (Date.now() - lastLogged > 60_000) {
          lastLogged = Date.now();
          this.log.info({ err: (error as Error).message, state: this.state.kind }, 'a node check failed; retrying');
        }
      }
      if (this.timer === timer) schedule();
    };
    let timer: NodeJS.Timeout;
    const schedule = (): void => {
      timer = setTimeout(() => void round(), ms);
      timer.unref();
      this.timer = timer;
    };
    schedule();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
