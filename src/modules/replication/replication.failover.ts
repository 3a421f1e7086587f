import type { Actor } from '../../platform/actor.js';
import { describeActor } from '../../platform/actor.js';
import type { Config } from '../../platform/config/config.js';
import { withClient, type ConnectionTarget } from '../../platform/db/connect.js';
import type { DatabaseHandle } from '../../platform/db/handle.js';
import { appError, isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { parseLsn } from '../../platform/postgres/lsn.js';
import { readNodePosition } from '../../platform/postgres/replication-status.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { attachRunning } from '../../platform/postgres/embedded.js';
import { checkReadyToSwitch, replayUntil } from './replication.catch-up.js';
import { askNode, callNode } from './replication.control.client.js';
import type { FenceReport } from './replication.control.schema.js';
import { controlAddressHere, controlAddressOf } from './replication.peers.js';
import { auditReplication, nodeTls, readStandbyState, tlsPaths, type StandbyState } from './replication.state.js';

export interface FailoverResult {
  /** The timeline this node is primary on now. */
  readonly timeline: number;
  readonly oldPrimary: {
    readonly host: string;
    readonly port: number;
    /** `stood down`: it was reached, stopped and marked fenced; `declared down`: the operator said it was gone. */
    readonly fencing: 'stood down' | 'declared down';
  };
  /** Whether this node had replayed all the WAL the old primary had when it stood down (nothing lost); unknown when it was not reached. */
  readonly caughtUp: boolean | null;
  /** WAL the old primary had that this node never received, in bytes (0 when caught up; null when unknown). */
  readonly missingBytes: number | null;
  /** A synchronous mode suspended: the new primary commits alone until a standby streams from it. */
  readonly asynchronousUntilStandby: boolean;
  readonly seconds: number;
}

export interface FailoverOptions {
  /** The operator's word that the old primary is down (powered off, unreachable for good): promote without reaching it. */
  readonly primaryIsDown?: boolean;
  /** How long to wait for this node to replay what the stood-down primary had. */
  readonly catchUpSeconds?: number;
  readonly onStep?: (message: string) => void;
  readonly actor: Actor;
  /**
   * A switchover: the primary must be reachable and this standby streaming close behind it, and
   * nothing may be lost: if this node does not get all the stood-down primary had, the primary
   * is given back its role and nothing changes.
   */
  readonly planned?: boolean;
}

/** What a failover works with: this standby, what it follows, and how it reaches the old primary's control API. */
interface Takeover {
  readonly config: Config;
  readonly log: Logger;
  readonly options: FailoverOptions;
  readonly step: (message: string) => void;
  /** `failover` or `switchover`, as the messages and the audit log say. */
  readonly what: string;
  readonly standby: StandbyState;
  readonly tls: TlsFiles;
  readonly database: DatabaseHandle & { port: number };
  /** This node's own server, as the administrative role. */
  readonly local: ConnectionTarget;
  readonly control: { host: string; port: number };
}

/**
 * `steadfast failover`, on the standby that takes over: fences the old primary first (over the
 * node control API it stops its PostgreSQL, whose last WAL reaches this standby on the way
 * down, and marks itself fenced), waits until this node has replayed that WAL, then promotes
 * this node's PostgreSQL. The running `steadfast up` here sees the promotion and starts
 * serving; the old primary, once it sees this node primary, follows it as a standby.
 * An old primary that cannot be reached is promoted over only on the operator's word
 * (`primaryIsDown`): if it were in fact running, two primaries would take writes until it
 * next sees this node (it then stands down by itself).
 */
export async function failover(config: Config, log: Logger, options: FailoverOptions): Promise<FailoverResult> {
  const started = Date.now();
  const takeover = await prepareTakeover(config, log, options);
  if (options.planned) await checkReadyToSwitch(takeover.tls, takeover.control, takeover.local);
  const fenced = await fenceOldPrimary(takeover);
  const { caughtUp, missingBytes } = await awaitOldPrimaryWal(takeover, fenced);
  const timeline = await promote(takeover);
  // In a synchronous mode a primary waits only for a standby that streams from it (its slot):
  // none does yet, so this node commits alone until the old primary (or another) follows it.
  const asynchronousUntilStandby = config.replicationMode !== 'async';
  if (asynchronousUntilStandby)
    takeover.step(
      `replicationMode is ${config.replicationMode}: commits wait for a standby again once one streams from this node`,
    );
  const primary = takeover.standby.primary;
  const result: FailoverResult = {
    timeline,
    oldPrimary: { host: primary.host, port: primary.port, fencing: fenced ? 'stood down' : 'declared down' },
    caughtUp,
    missingBytes,
    asynchronousUntilStandby,
    seconds: (Date.now() - started) / 1000,
  };
  // The record customers and auditors read: who failed over, from where, and what it cost.
  await auditReplication(takeover.database.admin, describeActor(options.actor), `replication.${takeover.what}`, {
    node: config.nodeName,
    ...result,
  }).catch((error: unknown) => log.error({ err: error }, 'promoted, but the audit entry could not be written'));
  log.warn(result, `${takeover.what} done: this node is the primary`);
  return result;
}

/** Checks that this node can take over (a standby, with TLS, a known control port, its PostgreSQL running in recovery). */
async function prepareTakeover(config: Config, log: Logger, options: FailoverOptions): Promise<Takeover> {
  const standby = await readStandbyState(config.home);
  if (!standby)
    throw appError(
      'NODE_STATE_CONFLICT',
      `This node is not a standby (there is no ${config.home}/standby.json): run "steadfast failover" on the standby that should take over.`,
    );
  const tls = await nodeTls(config.home);
  if (!tls)
    throw appError(
      'TLS_INCOMPLETE',
      `This standby has no TLS files in ${tlsPaths(config.home).dir}; it cannot reach the primary's control API to fence it.`,
    );
  if (config.nodeControlPort === 0)
    throw appError(
      'CONFIG_INVALID',
      'nodeControlPort is 0 (a free port at each start): a failover needs this node at a known control port, for the old primary to follow it. Set nodeControlPort and restart "steadfast up".',
    );
  const database = await attachRunning(config);
  if (!database)
    throw appError(
      'FAILOVER_FAILED',
      `This standby's PostgreSQL is not running: start it with "steadfast up" first, and run "steadfast failover" while it runs.`,
    );
  const local = { ...database.admin, database: 'postgres' };
  const before = await withClient(local, readNodePosition);
  if (!before.standby)
    throw appError('NODE_STATE_CONFLICT', 'This node is already a primary (its PostgreSQL is not in recovery).');
  await requireOwnControlApi(config, tls, options);
  const step = options.onStep ?? (() => undefined);
  const what = options.planned ? 'switchover' : 'failover';
  const control = controlAddressOf(config, standby.primary.host);
  return { config, log, options, step, what, standby, tls, database, local, control };
}

/** The old primary follows this node by asking its control API: it must be served here. */
async function requireOwnControlApi(config: Config, tls: TlsFiles, options: FailoverOptions): Promise<void> {
  const own = controlAddressHere(config);
  const self = await askNode(tls, own, 5000).catch(() => undefined);
  if (self?.name !== config.nodeName) {
    throw appError(
      'FAILOVER_FAILED',
      `This node's control API does not answer at ${own.host}:${own.port}, so the old primary could not follow it after the ${options.planned ? 'switchover' : 'failover'}: set replicationPeers and clusterNodes (and nodeControlPort) and restart "steadfast up". Nothing was changed.`,
    );
  }
}

/**
 * Asks the old primary to stand down (it stops its PostgreSQL and marks itself fenced): its
 * answer, or undefined when it cannot be reached and the operator said it is down.
 */
async function fenceOldPrimary(takeover: Takeover): Promise<FenceReport | undefined> {
  const { config, control, options, step } = takeover;
  const primary = takeover.standby.primary;
  step(`fencing the old primary at ${primary.host} (control API ${control.host}:${control.port})`);
  try {
    // Longer than the old primary may take to stop (a fast shutdown, then up to 35 s more before it is killed).
    return await callNode<FenceReport>(
      takeover.tls,
      control,
      'POST',
      '/v1/fence',
      {
        by: config.nodeName,
        postgresPort: takeover.database.port,
        controlPort: config.nodeControlPort,
        reason: `${takeover.what} to ${config.nodeName} by ${describeActor(options.actor)}`,
      },
      90_000,
    );
  } catch (error) {
    if (!isAppError(error) || error.code !== 'NODE_UNREACHABLE')
      throw appError(
        'FAILOVER_FAILED',
        `The old primary refused to stand down: ${(error as Error).message} Nothing was changed.`,
        { cause: error },
      );
    if (!options.primaryIsDown || options.planned) {
      throw appError(
        'FAILOVER_FAILED',
        `${(error as Error).message} The old primary could not be fenced, so this node was not promoted: if it is still running, two primaries would accept writes. ` +
          'Make sure it is down (power it off, or cut it off), then run "steadfast failover --primary-is-down". Once it can reach this node again it stands down by itself.',
        { cause: error },
      );
    }
    takeover.log.warn(
      { primary, err: (error as Error).message },
      "the old primary cannot be reached; promoting on the operator's word that it is down",
    );
    step('the old primary cannot be reached; you said it is down: promoting without fencing it');
    return undefined;
  }
}

/**
 * After the stand-down: whether this node has all the old primary had (null when unknown). A
 * switchover that cannot be lossless gives the primary its role back and ends here.
 */
async function awaitOldPrimaryWal(
  takeover: Takeover,
  fenced: FenceReport | undefined,
): Promise<{ caughtUp: boolean | null; missingBytes: number | null }> {
  const { options, step } = takeover;
  const giveBack = (): Promise<unknown> =>
    callNode(takeover.tls, takeover.control, 'POST', '/v1/resume', { by: takeover.config.nodeName }, 60_000);
  if (fenced && fenced.state !== 'shut down') {
    // Not a clean stop (it crashed, or was killed when it would not stop): where its WAL ended is not known.
    if (options.planned) {
      await giveBack().catch(() => undefined);
      throw appError(
        'FAILOVER_FAILED',
        `The switchover was undone: the primary did not stop cleanly (its pg_control says "${fenced.state}"), so this node cannot know it has everything. Nothing was changed; see the primary's log.`,
      );
    }
    step(
      `the old primary stood down but did not stop cleanly (${fenced.state}): what it wrote last may be missing here`,
    );
    return { caughtUp: null, missingBytes: null };
  }
  if (!fenced?.checkpointLsn) return { caughtUp: null, missingBytes: null };
  step(`the old primary stood down at ${fenced.checkpointLsn}; waiting for this node to replay everything it had`);
  const seconds = options.catchUpSeconds ?? 30;
  const replayed = await replayUntil(takeover.local, parseLsn(fenced.checkpointLsn), seconds);
  if (replayed.caughtUp) return replayed;
  if (options.planned) {
    // Zero loss or nothing: the primary gets its role back.
    await giveBack();
    throw appError(
      'FAILOVER_FAILED',
      `The switchover was undone: this standby did not receive all of the primary's WAL within ${seconds} s (${replayed.missingBytes} bytes short). The primary serves again; nothing was lost and nothing changed.`,
    );
  }
  step(
    `this node did not receive all of the old primary's WAL in time (${replayed.missingBytes} bytes short): promoting anyway`,
  );
  return replayed;
}

/** Promotes this node's PostgreSQL and waits for it (up to 60 s): the timeline it is primary on. */
async function promote(takeover: Takeover): Promise<number> {
  takeover.step('promoting this node');
  const promoted = await withClient(
    takeover.local,
    async (client) => (await client.query<{ done: boolean }>('SELECT pg_promote(true, 60) AS done')).rows[0]!.done,
  );
  if (!promoted)
    throw appError(
      'FAILOVER_FAILED',
      `PostgreSQL did not finish promotion within 60 s; see its log. This node may still become primary: check "steadfast status".`,
    );
  return (await withClient(takeover.local, readNodePosition)).timeline;
}
