import path from 'node:path';
import { systemClock } from '../../platform/clock/clock.js';
import type { Config } from '../../platform/config/config.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import { appError, isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/log.js';
import { readDataDirMajor } from '../../platform/postgres/data-dir.js';
import { resolveBinaries } from '../../platform/postgres/binaries.js';
import { ensurePostgresOsUser, type RunAs } from '../../platform/postgres/os-user.js';
import { prepareDataDirParent } from '../../platform/postgres/supervisor.js';
import {
  createStandbySlot,
  dropStandbySlot,
  identifySystem,
  streamBaseBackup,
  type BaseBackupEvent,
} from '../../platform/postgres/replication.js';
import { TransferMeter, type TransferProgress } from '../../platform/progress.js';
import { removeTree } from '../../platform/storage/dirs.js';
import { listDirectory, makeDirectory, movePath, writeEmptyFile } from '../../platform/storage/local-files.js';
import { extractTar } from '../../platform/storage/tar-extract.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { embeddedDataDir } from '../../platform/postgres/embedded.js';
import { replicationTarget } from './replication.settings.js';
import { nodeTls, slotName, standbyStateFile, tlsPaths } from './replication.state.js';

export interface JoinResult {
  readonly dataDir: string;
  readonly slot: string;
  readonly systemIdentifier: string;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * Makes this machine a standby of `primary`: over the TLS channel (this node's certificate,
 * the primary's verified against our CA), creates the node's replication slot on the primary,
 * copies the primary's data directory with BASE_BACKUP (the same streaming backups use) into
 * this home's empty data directory, and leaves it ready to follow: standby.signal, and the
 * primary and slot recorded for `steadfast up` to write into primary_conninfo. A failure
 * half-way removes the partial copy and the slot, so nothing is left holding WAL.
 */
export async function joinStandby(
  config: Config,
  log: Logger,
  primary: { host: string; port: number },
  options: JoinOptions = {},
): Promise<JoinResult> {
  const { tls, runAs, dataDir } = await checkCanJoin(config);
  const target = await replicationTarget(tls, primary);
  const identity = await identifySystem(target).catch((error: unknown) => {
    throw explainConnectFailure(error, primary);
  });
  const { major } = await resolveBinaries(runAs);
  if (Math.floor(identity.serverVersionNum / 10000) !== major) {
    throw appError(
      'STANDBY_JOIN_FAILED',
      `The primary runs PostgreSQL ${Math.floor(identity.serverVersionNum / 10000)} and this Steadfast ships PostgreSQL ${major}: a standby must run the same major version. Install the same Steadfast release on both machines.`,
    );
  }
  const slot = slotName(config.nodeName);
  const startedAt = Date.now();
  await createSlot(config, target, slot, options.replace === true);
  log.info({ primary, slot }, 'created the replication slot on the primary; copying its data directory');
  const join: Join = { config, log, primary, options, target, slot, runAs, dataDir };
  const extracted = await copyPrimaryInto(join);
  return {
    dataDir,
    slot,
    systemIdentifier: identity.systemIdentifier,
    files: extracted.files,
    bytes: extracted.bytes,
    seconds: (Date.now() - startedAt) / 1000,
  };
}

export interface JoinOptions {
  readonly onProgress?: (progress: TransferProgress) => void;
  readonly signal?: AbortSignal;
  /** Take over a slot of this node's name already on the primary (this node joining again). */
  readonly replace?: boolean;
}

/** A join under way: where from, as whom, into where. */
interface Join {
  readonly config: Config;
  readonly log: Logger;
  readonly primary: { host: string; port: number };
  readonly options: JoinOptions;
  readonly target: ConnectionTarget;
  readonly slot: string;
  readonly runAs: RunAs | undefined;
  readonly dataDir: string;
}

/** This node can become a standby: embedded, with its TLS files, and no data directory yet. */
async function checkCanJoin(config: Config): Promise<{ tls: TlsFiles; runAs: RunAs | undefined; dataDir: string }> {
  if (config.databaseUrl)
    throw appError(
      'VALIDATION_FAILED',
      'A standby is a copy of the embedded PostgreSQL; this Steadfast uses DATABASE_URL. Replicate that server with its own tools, or unset DATABASE_URL.',
    );
  const tls = await nodeTls(config.home);
  if (!tls)
    throw appError(
      'TLS_INCOMPLETE',
      `This node has no TLS files in ${tlsPaths(config.home).dir}. On the machine that holds the CA, run "steadfast certs create-node <this machine's address> --out <dir>", and copy ca.crt, node.crt and node.key from there into ${tlsPaths(config.home).dir}.`,
    );
  const runAs = await ensurePostgresOsUser(config.postgresOsUser);
  const dataDir = await embeddedDataDir(config, runAs);
  if ((await readDataDirMajor(dataDir)) !== undefined || (await listDirectory(dataDir)).length > 0) {
    throw appError(
      'STANDBY_JOIN_FAILED',
      `This machine already has a PostgreSQL data directory at ${dataDir}. A standby starts as a full copy of the primary: give it an empty home (STEADFAST_HOME), or move the old data directory away if it is no longer needed.`,
    );
  }
  return { tls, runAs, dataDir };
}

/** This node's slot on the primary; one in use, or already there without `replace`, is another node of the same name. */
async function createSlot(config: Config, target: ConnectionTarget, slot: string, replace: boolean): Promise<void> {
  const made = await createStandbySlot(target, slot, { replace }).catch(
    (error: { code?: string; message?: string }) => {
      if (error.code === '55006')
        throw appError(
          'STANDBY_JOIN_FAILED',
          `A standby named ${config.nodeName} is connected to the primary now (slot ${slot} is in use): give this node its own name (nodeName, STEADFAST_NODE_NAME).`,
        );
      throw error;
    },
  );
  if (made === 'exists') {
    throw appError(
      'STANDBY_JOIN_FAILED',
      `The primary already holds the slot ${slot} for a node named ${config.nodeName}. If this machine is that node joining again (its copy was lost), run "steadfast standby join --replace"; otherwise give this node its own name (nodeName, STEADFAST_NODE_NAME).`,
    );
  }
}

/**
 * The copy lands beside the data directory and takes its place only once whole, with its
 * standby.signal: an interrupted join can never leave something that starts as a primary.
 * A failure removes the copy and the record, and drops the slot.
 */
async function copyPrimaryInto(join: Join): Promise<{ files: number; bytes: number }> {
  const { config, options, dataDir } = join;
  const owner = join.runAs ? { uid: join.runAs.uid, gid: join.runAs.gid } : undefined;
  const copying = `${dataDir}.joining`;
  let renamed = false;
  try {
    await prepareDataDirParent(dataDir, join.runAs);
    await removeTree(copying);
    await makeDirectory(copying, { mode: 0o700 });
    const meter = new TransferMeter(systemClock, 'copying the primary');
    const events = streamBaseBackup(join.target, {
      label: `steadfast standby ${config.nodeName}`,
      includeWal: true,
      fastCheckpoint: true,
    });
    const extracted = await extractTar(baseArchive(events, meter, options.signal), copying, {
      owner,
      onBytes: (done) => options.onProgress?.(meter.update(done)),
    });
    options.signal?.throwIfAborted(); // stopped while the last of the copy was written: nothing is kept
    await writeEmptyFile(path.join(copying, 'standby.signal'), owner);
    // The copy in place first, then the record: a record never names a data directory that is not there.
    await movePath(copying, dataDir);
    renamed = true;
    await standbyStateFile(config.home).write({
      primary: join.primary,
      slot: join.slot,
      joinedAt: new Date().toISOString(),
    });
    return extracted;
  } catch (error) {
    await removeTree(renamed ? dataDir : copying);
    throw await undoJoin(join, error);
  }
}

/** After a failed copy: the record forgotten, the slot dropped; the error to throw, in words. */
async function undoJoin(join: Join, error: unknown): Promise<Error> {
  const { slot } = join;
  await standbyStateFile(join.config.home).forget();
  await dropStandbySlot(join.target, slot).catch((dropError: unknown) =>
    join.log.warn(
      { err: dropError, slot },
      `could not drop the slot ${slot} on the primary; drop it there with SELECT pg_drop_replication_slot('${slot}')`,
    ),
  );
  if (isAppError(error)) return error;
  if (join.options.signal?.aborted)
    return appError(
      'STANDBY_JOIN_FAILED',
      'The join was stopped; nothing was kept, and the slot on the primary was dropped.',
    );
  return appError(
    'STANDBY_JOIN_FAILED',
    `Copying the primary failed: ${(error as Error).message}. Nothing was kept; run "steadfast standby join" again once the cause is fixed.`,
    { cause: error },
  );
}

/** The data of base.tar from a BASE_BACKUP stream (the total size set on the meter); tablespaces are refused. */
async function* baseArchive(
  events: AsyncIterable<BaseBackupEvent>,
  meter: TransferMeter,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  let inBase = false;
  for await (const event of events) {
    signal?.throwIfAborted();
    if (event.kind === 'start') {
      if (event.tablespaces.some((space) => space.oid !== null))
        throw appError(
          'STANDBY_JOIN_FAILED',
          'The primary has tablespaces outside its data directory; Steadfast standbys copy only the data directory.',
        );
      meter.total = event.tablespaces.reduce((sum, space) => sum + (space.sizeKb ?? 0) * 1024, 0) || undefined;
    } else if (event.kind === 'archive') {
      inBase = event.name === 'base.tar';
    } else if (event.kind === 'manifest') {
      inBase = false;
    } else if (event.kind === 'data' && inBase) {
      yield event.chunk;
    }
  }
}

/** What a failed first connection to the primary means, in words an operator can act on. */
function explainConnectFailure(error: unknown, primary: { host: string; port: number }): Error {
  const message = (error as Error).message ?? String(error);
  const where = `${primary.host}:${primary.port}`;
  let hint: string;
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND/.test(message))
    hint = `nothing answers at ${where}: check the address, and that the primary's postgresListenAddresses includes it and its postgresPort is ${primary.port}`;
  else if (/no pg_hba\.conf entry/.test(message))
    hint = `the primary does not allow this machine: add this machine's address to the primary's replicationPeers and restart it`;
  else if (/does not support SSL/.test(message))
    hint = 'the primary has no TLS files: run "steadfast certs create-node" for it and restart it';
  else if (/certificate|self.signed|unable to verify|SSL|TLS|altname|alert/i.test(message))
    hint = `the TLS check failed: both nodes need certificates from the same CA ("steadfast certs"), and the primary's certificate must name ${primary.host}`;
  else hint = 'see the message';
  return appError('STANDBY_JOIN_FAILED', `Cannot reach the primary at ${where} to replicate: ${message}; ${hint}.`, {
    cause: error,
  });
}

/** For status and tests: the replication target of this node's primary. */
export async function primaryTarget(
  config: Config,
  primary: { host: string; port: number },
): Promise<ConnectionTarget | undefined> {
  const tls = await nodeTls(config.home);
  return tls ? replicationTarget(tls, primary) : undefined;
}
