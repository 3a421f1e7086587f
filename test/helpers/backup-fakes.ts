import path from 'node:path';
import type { BackupServiceDeps, BackupSource, Repository, ScratchSpace } from '../../src/modules/backup/index.js';
import { manualClock } from '../../src/platform/clock/clock.js';
import { silentLogger } from '../../src/platform/log/log.js';
import type { BaseBackupEvent } from '../../src/platform/postgres/replication.js';
import { MemoryStore } from './memory-store.js';

/** The stream a fake cluster sends: one base.tar of `archive`, then `manifest`; `endEarly` leaves out the end. */
export function backupEvents(
  options: { archive?: Buffer[]; manifest?: Buffer; endEarly?: boolean } = {},
): BaseBackupEvent[] {
  const archive = options.archive ?? [Buffer.from('base files, part one'), Buffer.from('part two')];
  return [
    { kind: 'start', startLsn: '0/2000028', timeline: 1, tablespaces: [{ oid: null, location: null, sizeKb: 1 }] },
    { kind: 'archive', name: 'base.tar', location: '' },
    ...archive.map((chunk) => ({ kind: 'data' as const, chunk })),
    { kind: 'manifest' },
    { kind: 'data', chunk: options.manifest ?? Buffer.from('{"PostgreSQL-Backup-Manifest-Version": 2}') },
    ...(options.endEarly ? [] : [{ kind: 'end' as const, endLsn: '0/2000100', timeline: 1 }]),
  ] as BaseBackupEvent[];
}

/** A cluster that answers with `events` (each chunk a fresh copy: sealing takes them over) and records its restore points. */
export function fakeSource(
  events: BaseBackupEvent[] = backupEvents(),
  identify: BackupSource['identify'] = async () => ({
    systemIdentifier: '7400000000000000001',
    timeline: 1,
    serverVersionNum: 180000,
  }),
): BackupSource & { readonly points: string[] } {
  const points: string[] = [];
  return {
    role: 'steadfast_backup',
    points,
    identify,
    stream: async () =>
      (async function* () {
        for (const event of events) yield event.kind === 'data' ? { ...event, chunk: Buffer.from(event.chunk) } : event;
      })(),
    createRestorePoint: async (name) => {
      points.push(name);
      return { lsn: '0/3000090', timeline: 1 };
    },
  };
}

/** A scratch disk that keeps what is unpacked in memory, and notes each call. */
export function fakeScratch(): ScratchSpace & {
  readonly calls: string[];
  readonly unpacked: Map<string, Buffer>;
} {
  const calls: string[] = [];
  const unpacked = new Map<string, Buffer>();
  return {
    calls,
    unpacked,
    requireEmpty: async (dir) => void calls.push(`requireEmpty ${dir}`),
    empty: async (dir) => {
      calls.push(`empty ${dir}`);
      unpacked.delete(dir);
    },
    extractTar: async (archive, dir) => {
      calls.push(`extract ${dir}`);
      const chunks: Buffer[] = [];
      for await (const chunk of archive) chunks.push(Buffer.from(chunk));
      unpacked.set(dir, Buffer.concat(chunks));
      return { files: 1, bytes: Buffer.concat(chunks).length };
    },
  };
}

/** Repositories in memory, by name. */
export function memoryRepositories(...names: string[]): Array<Repository & { store: MemoryStore }> {
  return names.map((name) => ({ name, store: new MemoryStore() }));
}

/** Service deps on fakes, the backup key kept in `keyDir` (made on the first backup). */
export function fakeBackupDeps(keyDir: string, overrides: Partial<BackupServiceDeps> = {}): BackupServiceDeps {
  return {
    repositories: memoryRepositories('first', 'second'),
    source: fakeSource(),
    scratch: fakeScratch(),
    keyFile: path.join(keyDir, 'backup.key'),
    clock: manualClock(new Date('2026-11-24T02:00:00Z')),
    log: silentLogger(),
    timeZone: 'UTC',
    ...overrides,
  };
}
