import path from 'node:path';
import type { Config } from '../../platform/config/config.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import type { Logger } from '../../platform/log/log.js';
import { ensurePostgresOsUser } from '../../platform/postgres/os-user.js';
import { createStandbySlot } from '../../platform/postgres/replication.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { listDirectory, movePath, writeEmptyFile } from '../../platform/storage/local-files.js';
import { askNode } from './replication.control.client.js';
import { writeFenced, type FencedState } from './replication.fencing.js';
import { joinStandby } from './replication.join.js';
import { controlAddressOf } from './replication.peers.js';
import { replicationTarget } from './replication.settings.js';
import type { RunningStandby } from './replication.standby.js';
import { readStandbyState, slotName, slotPrefix, standbyStateFile, type StandbyState } from './replication.state.js';

/*
 * How a fenced node comes back as a standby of the node that took over: on its own data when
 * its WAL ends where that node's timeline forked, else on a new copy, its own data kept aside.
 */

/** What these steps need of the node: its configuration, its TLS files and its data directory. */
export interface RejoinContext {
  readonly config: Config;
  readonly log: Logger;
  readonly tls: TlsFiles;
  readonly dataDir: string;
}

type Address = { host: string; port: number };

/** Follows on this node's own data directory: a slot on the new primary, standby.signal here. */
export async function followOnOwnData(
  node: RejoinContext,
  fenced: FencedState,
  primary: Address,
): Promise<StandbyState> {
  const slot = slotName(node.config.nodeName);
  await createStandbySlot(await replicationTarget(node.tls, primary), slot, { replace: true });
  const runAs = await ensurePostgresOsUser(node.config.postgresOsUser);
  await writeEmptyFile(path.join(node.dataDir, 'standby.signal'), runAs && { uid: runAs.uid, gid: runAs.gid });
  const standby: StandbyState = { primary, slot, joinedAt: new Date().toISOString() };
  await standbyStateFile(node.config.home).write(standby);
  node.log.warn({ primary, slot }, `re-joining as a standby of ${fenced.by}, on this node's own data`);
  return standby;
}

/** No data directory (moved aside as diverged): a new copy of the primary, as "standby join" makes. */
export async function copyPrimary(node: RejoinContext, fenced: FencedState, primary: Address): Promise<StandbyState> {
  node.log.warn({ primary }, `copying ${fenced.by} anew to follow it`);
  let loggedAt = 0;
  const joined = await joinStandby(node.config, node.log, primary, {
    replace: true,
    onProgress: (progress) => {
      if (Date.now() - loggedAt < 5000) return;
      loggedAt = Date.now();
      node.log.info({ doneBytes: progress.doneBytes, totalBytes: progress.totalBytes }, `copying ${fenced.by}`);
    },
  });
  node.log.warn({ primary, bytes: joined.bytes, seconds: joined.seconds }, `copied ${fenced.by}; following it`);
  return (await readStandbyState(node.config.home))!;
}

/**
 * A standby whose WAL went on past the point where its primary's timeline forked (it crashed
 * with commits the other never received): it cannot follow on its own data. It is marked
 * fenced again (so no restart runs it as a primary), stopped, and its data directory is kept
 * aside for whoever wants to see what was lost. Returns the mark: the primary is copied anew.
 */
export async function setAsideDiverged(
  node: RejoinContext,
  running: RunningStandby,
  standby: StandbyState,
): Promise<FencedState> {
  const control = controlAddressOf(node.config, standby.primary.host);
  const report = await askNode(node.tls, control).catch(() => undefined);
  const mark: FencedState = {
    by: report?.name ?? standby.primary.host,
    host: standby.primary.host,
    postgresPort: standby.primary.port,
    controlPort: control.port,
    reason:
      'this node has WAL its primary never received (written before the failover, after what the new primary had): copied anew',
    at: new Date().toISOString(),
  };
  await writeFenced(node.config.home, mark);
  await standbyStateFile(node.config.home).forget();
  await running.stop();
  const kept = divergedCopyName(node.dataDir, mark.at);
  await movePath(node.dataDir, kept);
  node.log.error(
    { kept, primary: standby.primary },
    `this node's WAL went on past the point where ${mark.by} took over, so it cannot follow it on its own data: the data directory is kept at ${kept} (what was lost in the failover is there; remove it when no longer needed) and ${mark.by} is copied anew`,
  );
  return mark;
}

/** A former primary's slots for its standbys: on a standby they would only hold WAL back (the new primary holds the slots now). */
export async function dropStaleSlots(database: DatabaseHandle, log: Logger): Promise<void> {
  const dropped = await withServer(database, async (client) =>
    (
      await client.query<{ slot_name: string }>(
        "SELECT slot_name, pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active AND NOT temporary AND starts_with(slot_name, $1)",
        [slotPrefix],
      )
    ).rows.map((row) => row.slot_name),
  ).catch((error: unknown) => {
    log.warn(
      { err: error },
      'could not drop the slots this node held as a primary; drop them with pg_drop_replication_slot',
    );
    return [] as string[];
  });
  if (dropped.length) log.info({ dropped }, 'dropped the slots this node held as a primary');
}

/** Where a data directory that could not follow its new primary is kept (`steadfast status` lists them). */
export const divergedCopyName = (dataDir: string, at: string): string =>
  `${dataDir}.diverged-${at.replace(/[:.]/g, '-')}`;

/** The kept copies beside a data directory, oldest first. */
export async function divergedCopies(dataDir: string): Promise<string[]> {
  const prefix = `${path.basename(dataDir)}.diverged-`;
  const entries = await listDirectory(path.dirname(dataDir));
  return entries
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((name) => path.join(path.dirname(dataDir), name));
}
