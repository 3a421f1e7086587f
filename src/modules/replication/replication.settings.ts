import type { Config } from '../../platform/config/config.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import { readTlsFiles, type TlsFiles } from '../../platform/postgres/tls.js';
import { replicationRole, type ModeOverride, type StandbyState } from './replication.state.js';

/** The mode a primary runs in: the configured one, unless overridden to async. */
export const effectiveMode = (config: Config, override: ModeOverride | undefined): Config['replicationMode'] =>
  override?.mode ?? config.replicationMode;

/**
 * Whether a primary in a synchronous mode makes commits wait now: once a standby of its own has
 * streamed from it (its slot), and for as long as that slot exists, unless overridden to async.
 */
export interface SyncWait {
  readonly override?: ModeOverride;
  readonly forStandby?: boolean;
}

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
