import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatLsn } from './lsn.js';

/** The cluster states of `pg_control` (DBState in PostgreSQL's pg_control.h), by their number. */
const states = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
] as const;
export type ClusterState = (typeof states)[number] | 'unknown';

/** What a stopped (or crashed) server's `global/pg_control` says, as `pg_controldata` prints it. */
export interface ControlFile {
  readonly systemIdentifier: string;
  readonly state: ClusterState;
  /** Where the latest checkpoint record starts: after a clean shutdown, its shutdown checkpoint. */
  readonly checkpointLsn: string;
  /** The timeline of that checkpoint: the server's timeline when it stopped. */
  readonly timeline: number;
}

/** The pg_control format of PostgreSQL 18 (PG_CONTROL_VERSION); an older layout would read wrong. */
const supportedVersions = new Set([1800]);

/**
 * Reads `global/pg_control` of a data directory without the server running (the embedded
 * build has no `pg_controldata`). Only the leading fields, whose offsets have been the same
 * since PostgreSQL 9.x, are read, and the format version is checked first.
 */
export async function readControlFile(dataDir: string): Promise<ControlFile> {
  const bytes = await readFile(path.join(dataDir, 'global', 'pg_control'));
  const version = bytes.readUInt32LE(8);
  if (!supportedVersions.has(version))
    throw new Error(
      `${dataDir}/global/pg_control has format ${version}, which this Steadfast does not read (it reads PostgreSQL 18's, 1800)`,
    );
  // uint64 system_identifier, uint32 version, uint32 catalog version, DBState state, (4 bytes of
  // padding), pg_time_t time, XLogRecPtr checkPoint, then CheckPoint { XLogRecPtr redo, TimeLineID ThisTimeLineID, ... }.
  return {
    systemIdentifier: bytes.readBigUInt64LE(0).toString(),
    state: states[bytes.readInt32LE(16)] ?? 'unknown',
    checkpointLsn: formatLsn(bytes.readBigUInt64LE(32)),
    timeline: bytes.readUInt32LE(48),
  };
}
