import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { z } from 'zod';
import { appError } from '../../platform/errors.js';
import { readWhole, type ObjectStore } from '../../platform/storage/store.js';
import { backupRecordSchema, type BackupRecord } from './backup.schema.js';

/** Where a backup's objects live in a repository. */
export const backupPrefix = (id: string): string => `backups/${id}/`;
export const recordKey = (id: string): string => `backups/${id}/backup.json`;

/** The id of a backup started at `at`: sortable, readable, one per second. */
export function backupIdAt(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The moment a backup id (or a lock's stamp) names: the inverse of backupIdAt. */
export function timeOfBackupId(id: string): Date {
  return new Date(id.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
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
export async function readRecords(
  store: ObjectStore,
  onInvalid: (key: string, why: string) => void,
): Promise<BackupRecord[]> {
  const keys = (await store.list('backups/'))
    .filter((object) => object.key.endsWith('/backup.json'))
    .map((object) => object.key);
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
  return (
    record.keyFingerprint === key.fingerprint && given.length === expected.length && timingSafeEqual(given, expected)
  );
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
export async function assertKeyFitsRepositories(
  stores: readonly ObjectStore[],
  key: BackupKey,
  keyFile: string,
): Promise<void> {
  const seen = new Set<string>();
  for (const store of stores) {
    const records = await readRecords(store, () => undefined).catch(() => [] as BackupRecord[]);
    for (const record of records) seen.add(record.keyFingerprint);
  }
  if (seen.size > 0 && !seen.has(key.fingerprint)) {
    throw appError(
      'BACKUP_KEY_MISMATCH',
      `The repositories hold backups made with key ${[...seen].join(', ')}, but ${keyFile} holds key ${key.fingerprint}. Put the original key file back (or point backupKeyFile at it); nothing was written.`,
    );
  }
}

/** The object naming the cluster a repository belongs to (plain JSON: a system identifier is no secret). */
export const ownerKey = 'repository.json';
const claimed = new WeakMap<ObjectStore, string>();

/**
 * Claims a repository for one cluster, by its system identifier, or refuses. Two clusters
 * writing to one repository would overwrite each other's WAL (a new cluster's segment names
 * start over) and the first one's backups would quietly stop restoring. An unclaimed
 * repository holding backup records (from before claims existed) is judged by them. A
 * cluster restored from these backups, or promoted from a standby, has the same identifier.
 */
export async function claimRepository(store: ObjectStore, systemIdentifier: string): Promise<void> {
  if (claimed.get(store) === systemIdentifier) return;
  let owner = await readOwner(store);
  if (owner === undefined) {
    owner = (await readRecords(store, () => undefined)).find(
      (record) => record.systemIdentifier !== systemIdentifier,
    )?.systemIdentifier;
    if (owner === undefined)
      await writeJson(store, ownerKey, { systemIdentifier, claimedAt: new Date().toISOString() });
  }
  if (owner !== undefined && owner !== systemIdentifier) {
    throw appError(
      'REPOSITORY_OF_ANOTHER_CLUSTER',
      `${store.describe()} holds the backups and WAL of another PostgreSQL cluster (system identifier ${owner}); this cluster is ${systemIdentifier}. Nothing was written there. Give this cluster a repository of its own (another directory, bucket prefix or SFTP path), or, if that other cluster is gone for good, move its repository aside.`,
    );
  }
  claimed.set(store, systemIdentifier);
}

/** The cluster this process has claimed `store` for, if it has (a claim is read or written before the first write). */
export function claimedBy(store: ObjectStore): string | undefined {
  return claimed.get(store);
}

/** The cluster a repository is claimed for (its repository.json), if it is. */
export function repositoryOwner(store: ObjectStore): Promise<string | undefined> {
  const known = claimed.get(store);
  return known === undefined ? readOwner(store) : Promise.resolve(known);
}

async function readOwner(store: ObjectStore): Promise<string | undefined> {
  const body = await readWhole(store, ownerKey);
  if (!body) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined; // not JSON: refused below like any other claim we did not write
  }
  const parsed = z.object({ systemIdentifier: z.string() }).safeParse(json);
  if (!parsed.success)
    throw appError(
      'BACKUP_CORRUPT',
      `${ownerKey} in ${store.describe()} is not a repository claim Steadfast wrote; look at it, and remove it if the repository is this cluster's.`,
    );
  return parsed.data.systemIdentifier;
}

/**
 * The system identifier in a WAL segment's first page (its long header: magic, info, timeline,
 * page address, remaining length, then the identifier at byte 24, little-endian), or
 * undefined when `head` is too short to hold one.
 */
export function walSystemIdentifier(head: Buffer): string | undefined {
  const longHeader = 0x0002;
  if (head.length < 32 || (head.readUInt16LE(2) & longHeader) === 0) return undefined;
  return head.readBigUInt64LE(24).toString();
}
