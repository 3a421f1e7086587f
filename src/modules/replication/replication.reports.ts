import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import { readControlFile } from '../../platform/postgres/control-file.js';
import { readDataDirMajor } from '../../platform/postgres/data-dir.js';
import { readNodePosition } from '../../platform/postgres/replication-status.js';
import type { FenceReport, NodeReport } from './replication.control.schema.js';
import type { FencedState } from './replication.fencing.js';
import type { PeerPrimary } from './replication.peers.js';

/*
 * What a node answers its peers: about itself (running, or from its data directory when its
 * PostgreSQL is down), and once fenced, where its WAL ended.
 */

/** A node whose PostgreSQL runs: its role, timeline and position as the server says. */
export async function reportOfServer(name: string, database: DatabaseHandle): Promise<NodeReport> {
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

/** A node whose PostgreSQL is down: what its pg_control says (nothing when it has no data directory). */
export async function reportOfDataDir(name: string, dataDir: string, role: 'fenced' | 'stopped'): Promise<NodeReport> {
  const control = (await readDataDirMajor(dataDir)) === undefined ? undefined : await readControlFile(dataDir);
  return {
    name,
    role,
    timeline: control?.timeline,
    systemIdentifier: control?.systemIdentifier,
    lsn: control?.checkpointLsn,
  };
}

/** A fenced node's answer, its PostgreSQL stopped: how it stopped and where its WAL ended. */
export async function fenceReport(name: string, dataDir: string): Promise<FenceReport> {
  const control = await readControlFile(dataDir);
  return {
    name,
    fenced: true,
    state: control.state,
    timeline: control.timeline,
    checkpointLsn: control.checkpointLsn,
  };
}

/** The mark of a node that finds `newer` primary on a later timeline than its own `timeline`. */
export const markFor = (newer: PeerPrimary, reason: string, timeline: number): FencedState => ({
  by: newer.name,
  host: newer.host,
  postgresPort: newer.postgresPort,
  controlPort: newer.controlPort,
  reason,
  at: new Date().toISOString(),
  timeline,
});
