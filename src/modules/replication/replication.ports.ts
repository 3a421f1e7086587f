import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../platform/db/handle.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import type { SyncWait } from './replication.settings.js';

/** What a primary node serves once its PostgreSQL runs: the platform (app's to build), as much of it as replication needs. */
export interface ServingPlatform {
  readonly platform: { readonly database: DatabaseHandle; readonly db: Kysely<PlatformTables> };
  /** Where people open it, and its HTTP port, for the terminal's banner. */
  readonly entryUrl?: string;
  readonly port?: number;
  /** The staff console's address, for the banner. */
  readonly consoleUrl?: string;
  /** On the start that made the demo workspace: its owner and a one-time link, for the banner. */
  readonly firstSignIn?: { readonly email: string; readonly tenant: string; readonly link: string };
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

export const defaultTimings: NodeTimings = {
  promotionPollMs: 250,
  peerWatchMs: 5000,
  syncCheckMs: 1000,
  sampleMs: 10_000,
  rejoinPollMs: 1000,
};
