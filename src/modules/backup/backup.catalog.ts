import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { appError } from '../../platform/errors.js';
import type { ObjectStore } from '../../platform/storage/store.js';
import { backupRecordSchema, type BackupRecord } from './backup.schema.js';

/** Where a backup's objects live in a repository. */
export const backupPrefix = (id: string): string => `backups/${id}/`;
export const recordKey = (id: string): string => `backups/${id}/backup.json`;

/** The id of a backup started at `at`: sortable, readable, one per second. */
export function backupIdAt(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The record MAC uses its own subkey: one key, two purposes (encryption, authentication), kept apart. */
function macOf(record: Omit<BackupRecord, 'mac'>, key: BackupKey): string {
  const macKey = Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), 'steadfast backup record mac', 32));
  return createHmac('sha256', macKey).update(JSON.stringify(record)).digest('hex');
}

export function sealRecord(record: Omit<BackupRecord, 'mac'>, key: BackupKey): BackupRecord {
  return { ...record, mac: macOf(record, key) };
}

async function* once(buffer: Buffer): AsyncGenerator<Buffer> {
  yield buffer;
}

export async function writeJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, once(Buffer.from(`${JSON.stringify(value, null, 2)}\n`)));
}

export async function writeRecord(store: ObjectStore, record: BackupRecord): Promise<void> {
  await writeJson(store, recordKey(record.id), record);
}

/**
 * The complete backups in one repository, oldest first. Records that do not parse are
 * skipped (reported through `onInvalid`); a backup without a record is incomplete.
 */
export async function readRecords(store: ObjectStore, onInvalid: (key: string, why: string) => void): Promise<BackupRecord[]> {
  const keys = (await store.list('backups/')).filter((object) => object.key.endsWith('/backup.json')).map((object) => object.key);
  const records: BackupRecord[] = [];
  for (const key of keys) {
    const chunks: Buffer[] = [];
    for await (const chunk of store.get(key)) chunks.push(chunk);
    try {
      records.push(backupRecordSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    } catch (error) {
      onInvalid(key, (error as Error).message.slice(0, 200));
    }
  }
  return records.sort((a, b) => a.id.localeCompare(b.id));
}

/** Whether the record was written under this key and not altered since. */
export function recordIsAuthentic(record: BackupRecord, key: BackupKey): boolean {
  const { mac, ...rest } = record;
  const expected = Buffer.from(macOf(rest, key), 'hex');
  const given = Buffer.from(mac, 'hex');
  return record.keyFingerprint === key.fingerprint && given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where an archived WAL file (segment, timeline history, backup history) lives in a repository. */
export const walKey = (file: string): string => `wal/${file}.sealed`;
export const walFileOf = (key: string): string => key.slice('wal/'.length, -'.sealed'.length);

/** Where a named restore point made with `backup mark` is recorded. */
export const markKey = (name: string): string => `marks/${name}.json`;

/**
 * Refuses a backup key that the repositories do not know when they already hold backups
 * made with another: a key created by accident (a lost key file) would otherwise split
 * the archive in two, and no single key could restore across the split.
 */
export async function assertKeyFitsRepositories(stores: readonly ObjectStore[], key: BackupKey, keyFile: string): Promise<void> {
  const seen = new Set<string>();
  for (const store of stores) {
    const records = await readRecords(store, () => undefined).catch(() => [] as BackupRecord[]);
    for (const record of records) seen.add(record.keyFingerprint);
  }
  if (seen.size > 0 && !seen.has(key.fingerprint)) {
    throw appError('BACKUP_KEY_MISMATCH', `The repositories hold backups made with key ${[...seen].join(', ')}, but ${keyFile} holds key ${key.fingerprint}. Put the original key file back (or point backupKeyFile at it); nothing was written.`);
  }
}
