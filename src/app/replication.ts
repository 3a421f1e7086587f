import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../platform/config/config.js';
import { withClient, type ConnectionTarget } from '../platform/db/connect.js';
import { appError } from '../platform/errors.js';
import { readTlsFiles, type TlsFiles } from '../platform/postgres/tls.js';
import { stateFile, type StateFile } from '../platform/storage/state-file.js';

/** The role nodes replicate as; it has no password: its client certificate's common name is its proof. */
export const replicationRole = 'steadfast_replication';

/** Where `steadfast certs` keeps this node's TLS files (and, on the machine that made it, the CA's key). */
export function tlsPaths(
  home: string,
): TlsFiles & { caKey: string; dir: string; revocationList: string; revoked: string } {
  const dir = path.join(home, 'tls');
  // The revocation list's place, not a TlsFiles `crl`: it is one only where it exists (nodeTls).
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'node.crt'),
    key: path.join(dir, 'node.key'),
    caKey: path.join(dir, 'ca.key'),
    revocationList: path.join(dir, 'ca.crl'),
    revoked: path.join(dir, 'revoked.json'),
  };
}

/** Whether a file is there (and reachable). */
export const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * This node's TLS files, when it has them: all three, or none (undefined). Some but not all
 * is a mistake said plainly, not a node silently left without TLS.
 */
export async function nodeTls(home: string): Promise<TlsFiles | undefined> {
  const paths = tlsPaths(home);
  const present = await Promise.all([paths.ca, paths.cert, paths.key].map(exists));
  // The CA's revocation list, where an operator has placed one: peers' certificates are checked against it.
  if (present.every(Boolean))
    return {
      ca: paths.ca,
      cert: paths.cert,
      key: paths.key,
      ...((await exists(paths.revocationList)) ? { crl: paths.revocationList } : {}),
    };
  if (present.some(Boolean)) {
    const missing = [paths.ca, paths.cert, paths.key].filter((_, index) => !present[index]);
    throw appError(
      'TLS_INCOMPLETE',
      `This node's TLS files are incomplete: ${missing.join(', ')} missing. Copy ca.crt, node.crt and node.key made by "steadfast certs create-node" into ${paths.dir}.`,
    );
  }
  return undefined;
}

/** A standby's record of what it follows, written by `steadfast standby join`. */
export interface StandbyState {
  readonly primary: { readonly host: string; readonly port: number };
  readonly slot: string;
  readonly joinedAt: string;
}

/** standby.json: what this node follows, while it is a standby. */
export const standbyStateFile = (home: string): StateFile<StandbyState> =>
  stateFile(path.join(home, 'standby.json'), {
    damaged: (file) =>
      appError('CONFIG_INVALID', `${file} is not valid JSON; run "steadfast standby join" again to rewrite it.`),
  });

export const readStandbyState = (home: string): Promise<StandbyState | undefined> => standbyStateFile(home).read();

/**
 * A primary running asynchronously although replicationMode asks for more: set by an operator
 * with `steadfast replication mode async` (the synchronous standby is gone and writes must go
 * on), until they set it back with `steadfast replication mode configured`.
 */
export interface ModeOverride {
  readonly mode: 'async';
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

/** replication-mode.json: the operator's override, while there is one. */
export const modeOverrideFile = (home: string): StateFile<ModeOverride> =>
  stateFile(path.join(home, 'replication-mode.json'), {
    damaged: (file) =>
      appError(
        'CONFIG_INVALID',
        `${file} is damaged; remove it to run in the configured replicationMode, or run "steadfast replication mode async" to write it again.`,
      ),
  });

export const readModeOverride = (home: string): Promise<ModeOverride | undefined> => modeOverrideFile(home).read();

/** The mode a primary runs in: the configured one, unless overridden to async. */
export const effectiveMode = (config: Config, override: ModeOverride | undefined): Config['replicationMode'] =>
  override?.mode ?? config.replicationMode;

/** An entry in the platform audit log for something done to replication (failover, switchover, a change of mode). */
export async function auditReplication(
  admin: ConnectionTarget,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await withClient(admin, (client) =>
    client.query('INSERT INTO platform_audit (actor, action, tenant_slug, detail) VALUES ($1, $2, NULL, $3)', [
      actor,
      action,
      JSON.stringify(detail),
    ]),
  );
}

/**
 * Whether a primary in a synchronous mode makes commits wait now: once a standby of its own has
 * streamed from it (its slot), and for as long as that slot exists, unless overridden to async.
 */
export interface SyncWait {
  readonly override?: ModeOverride;
  readonly forStandby?: boolean;
}

/** Whether the data directory holds a standby's slot (pg_replslot), read before the server starts. */
export async function hasStandbySlot(dataDir: string): Promise<boolean> {
  const slots = await readdir(path.join(dataDir, 'pg_replslot')).catch(() => [] as string[]);
  return slots.some((name) => name.startsWith(slotName('')));
}

/** The slot a node's standby holds on its primary: named after the node. */
export const slotName = (nodeName: string): string => `steadfast_${nodeName}`;

/** How a node reaches a primary to replicate: as the replication role, TLS with its certificate, the primary's verified against our CA and its address. */
export async function replicationTarget(
  tls: TlsFiles,
  primary: { host: string; port: number },
): Promise<ConnectionTarget> {
  return {
    host: primary.host,
    port: primary.port,
    user: replicationRole,
    password: '',
    database: 'replication',
    ssl: { ...(await readTlsFiles(tls)), rejectUnauthorized: true },
  };
}

/** primary_conninfo for a standby (libpq syntax): the same channel, verify-full. */
export function primaryConninfo(
  tls: TlsFiles,
  primary: { host: string; port: number },
  applicationName: string,
): string {
  const quote = (value: string | number): string => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const parts: Record<string, string | number> = {
    host: primary.host,
    port: primary.port,
    user: replicationRole,
    application_name: applicationName,
    sslmode: 'verify-full',
    sslrootcert: tls.ca,
    sslcert: tls.cert,
    sslkey: tls.key,
    ...(tls.crl ? { sslcrl: tls.crl } : {}),
    connect_timeout: 5,
    keepalives_idle: 5,
    keepalives_interval: 2,
    keepalives_count: 3,
  };
  return Object.entries(parts)
    .map(([key, value]) => `${key}=${quote(value)}`)
    .join(' ');
}

/**
 * The server settings replication adds, on every node (a primary and a standby swap roles):
 * WAL kept for a lagging standby capped (a dead one can never fill the disk), synchronous
 * commit when configured on a primary with peers, fresh status from the standby every second,
 * and the primary a standby follows. No hot_standby_feedback: a standby that is gone would
 * hold back vacuum on every tenant of the primary through its slot. `placedTls` are the TLS files as the server reads them (beside its data
 * directory), which primary_conninfo names too; `wait` says whether a primary in a synchronous mode waits for its standby now.
 */
export function replicationSettings(
  config: Config,
  standby: StandbyState | undefined,
  placedTls: TlsFiles | undefined,
  wait: SyncWait = {},
): Record<string, string | number> {
  const settings: Record<string, string | number> = {
    max_slot_wal_keep_size: `${config.replicationMaxSlotWalMb}MB`,
    wal_receiver_status_interval: 1,
    wal_sender_timeout: '10s',
    wal_receiver_timeout: '10s',
  };
  // Synchronous commit only on a primary that has a standby to wait for: a standby (or a node
  // with no peers, or a primary none has joined yet) setting it would make every commit wait
  // for one that does not exist.
  const mode = effectiveMode(config, wait.override);
  if (mode !== 'async' && config.replicationPeers.length > 0 && !standby && wait.forStandby) {
    settings.synchronous_standby_names = '*';
    settings.synchronous_commit = { 'sync-write': 'remote_write', sync: 'on', 'sync-apply': 'remote_apply' }[mode];
  }
  if (standby && placedTls) {
    settings.primary_conninfo = primaryConninfo(placedTls, standby.primary, config.nodeName);
    settings.primary_slot_name = standby.slot;
  }
  return settings;
}
