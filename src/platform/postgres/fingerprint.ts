import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '../db/sql.js';

/** What one database holds, in a form two copies can be compared by: rows and a hash per table. */
export interface DatabaseFingerprint {
  readonly tables: Record<string, { rows: number; hash: string }>;
  readonly rows: number;
  /** One digest over every table's name, row count and hash. */
  readonly digest: string;
}

/**
 * The settings that decide how a row prints as text, fixed so that the same rows hash
 * the same on the primary and on a restored copy.
 */
const stableOutput =
  "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

/**
 * Fingerprints every permanent table of the connected database in one snapshot: its row
 * count and the sum of a 64-bit hash of each row's text (order-free, so the two copies need
 * not store rows in the same order). Unlogged and temporary tables are left out: recovery
 * empties them by design.
 */
export async function fingerprintDatabase(client: pg.ClientBase): Promise<DatabaseFingerprint> {
  await client.query(stableOutput);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND c.relpersistence = 'p'
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1, 2`,
    );
    const result: Record<string, { rows: number; hash: string }> = {};
    for (const table of tables) {
      const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
      const { rows } = await client.query<{ rows: string; hash: string }>(
        `SELECT count(*)::text AS rows, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS hash FROM ${qualified} AS t`,
      );
      result[`${table.schema}.${table.name}`] = { rows: Number(rows[0]!.rows), hash: rows[0]!.hash };
    }
    await client.query('COMMIT');
    return summarise(result);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function summarise(tables: Record<string, { rows: number; hash: string }>): DatabaseFingerprint {
  const digest = createHash('sha256');
  let rows = 0;
  for (const [name, table] of Object.entries(tables).sort(([a], [b]) => (a < b ? -1 : 1))) {
    digest.update(`${name}\t${table.rows}\t${table.hash}\n`);
    rows += table.rows;
  }
  return { tables, rows, digest: digest.digest('hex') };
}

/** How a restored database differs from the primary's, in words; empty when it does not. */
export function describeDifference(primary: DatabaseFingerprint, restored: DatabaseFingerprint): string[] {
  if (primary.digest === restored.digest) return [];
  const differences: string[] = [];
  for (const [name, table] of Object.entries(primary.tables)) {
    const copy = restored.tables[name];
    if (!copy) differences.push(`table ${name} is missing`);
    else if (copy.rows !== table.rows) differences.push(`table ${name} has ${copy.rows} rows instead of ${table.rows}`);
    else if (copy.hash !== table.hash)
      differences.push(`table ${name} has the same ${table.rows} rows in number but different contents`);
  }
  for (const name of Object.keys(restored.tables))
    if (!primary.tables[name]) differences.push(`table ${name} is there but was not on the primary`);
  return differences;
}

/**
 * Runs amcheck on the connected database: every B-tree index against its table (with
 * heapallindexed, so a row missing from an index is found) and every table's heap. Needs a
 * superuser and a copy it may change (it installs the extension): a drill's restored cluster.
 */
export async function amcheckDatabase(
  client: pg.ClientBase,
): Promise<{ indexes: number; tables: number; problems: string[] }> {
  await client.query('CREATE EXTENSION IF NOT EXISTS amcheck');
  const problems: string[] = [];
  const { rows: indexes } = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
     WHERE am.amname = 'btree' AND c.relpersistence = 'p' AND i.indisvalid AND i.indisready ORDER BY 1`,
  );
  for (const index of indexes) {
    try {
      await client.query('SELECT bt_index_check($1::oid, true)', [index.oid]);
    } catch (error) {
      problems.push(`index ${index.name}: ${(error as Error).message}`);
    }
  }
  const { rows: tables } = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_class c WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p' ORDER BY 1`,
  );
  for (const table of tables) {
    const { rows } = await client.query<{ blkno: string; msg: string }>(
      'SELECT blkno::text, msg FROM verify_heapam($1::oid, on_error_stop => false) LIMIT 5',
      [table.oid],
    );
    for (const row of rows) problems.push(`table ${table.name}, block ${row.blkno}: ${row.msg}`);
  }
  return { indexes: indexes.length, tables: tables.length, problems };
}
