import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { withClient, type ConnectionTarget } from '../db/connect.js';
import { quoteIdent } from '../db/sql.js';

export interface CopyDataOptions {
  /** Tables left alone on both sides (e.g. the migration bookkeeping), by `schema.name`. */
  readonly exclude?: (table: string) => boolean;
  /** Writes as this role (the owner of the destination's tables) after any superuser setup. */
  readonly role?: string;
  readonly onProgress?: (progress: {
    table: string;
    tablesDone: number;
    tables: number;
    doneBytes: number;
    totalBytes: number;
  }) => void;
}

export interface CopyDataResult {
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
}

interface TableInfo {
  readonly name: string;
  readonly qualified: string;
  readonly columns: string[];
  readonly bytes: number;
  /** Tables this one references (foreign keys), to load those first. */
  readonly references: string[];
}

/**
 * Replaces every table's rows in `destination` with those of `source`, which must have the
 * same schema (same migrations): one transaction on the destination (TRUNCATE, then a binary
 * COPY stream per table, parents before children, then the sequences), so it lands whole or not
 * at all, read from one snapshot of the source. The destination's own triggers do not fire
 * while loading (each is disabled and set back as it was, inside the transaction): the rows
 * were written, and their triggers run, where they came from. As a superuser, foreign-key
 * checks are off too (session_replication_role = replica); as the tables' owner they run, and
 * parents are loaded before children so they pass.
 */
export async function copyDatabaseData(
  source: ConnectionTarget,
  destination: ConnectionTarget,
  options: CopyDataOptions = {},
): Promise<CopyDataResult> {
  const exclude = options.exclude ?? (() => false);
  return withClient(source, async (from) => {
    await from.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = orderByReferences((await describeTables(from)).filter((table) => !exclude(table.name)));
    const sequences = await readSequences(from);
    const result = await withClient(destination, async (to) => {
      await to.query('BEGIN');
      try {
        const { rows } = await to.query<{ su: boolean }>(
          'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user',
        );
        if (rows[0]?.su) await to.query("SET LOCAL session_replication_role = 'replica'");
        if (options.role) await to.query(`SET LOCAL ROLE ${quoteIdent(options.role)}`);
        const present = (await describeTables(to)).filter((table) => !exclude(table.name));
        requireSameTables(tables, present);
        const triggers = await userTriggers(to, present);
        for (const trigger of triggers) await to.query(`ALTER TABLE ${trigger.table} DISABLE TRIGGER ${trigger.name}`);
        if (present.length) await to.query(`TRUNCATE ${present.map((table) => table.qualified).join(', ')}`);
        const copied = await copyTables(from, to, tables, options.onProgress);
        await setSequences(to, sequences);
        for (const trigger of triggers)
          await to.query(`ALTER TABLE ${trigger.table} ENABLE ${trigger.mode}TRIGGER ${trigger.name}`);
        await to.query('COMMIT');
        const totalBytes = tables.reduce((sum, table) => sum + table.bytes, 0);
        options.onProgress?.({
          table: '',
          tablesDone: tables.length,
          tables: tables.length,
          doneBytes: copied.bytes,
          totalBytes,
        });
        return copied;
      } catch (error) {
        await to.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    await from.query('COMMIT');
    return result;
  });
}

/** Every table of the source, with every column, is in the destination; else the two are at different schema versions. */
function requireSameTables(tables: readonly TableInfo[], present: readonly TableInfo[]): void {
  const byName = new Map(present.map((table) => [table.name, table]));
  for (const table of tables) {
    const there = byName.get(table.name);
    if (!there)
      throw new Error(
        `table ${table.name} is not in the destination: the two databases are at different schema versions`,
      );
    const missing = table.columns.filter((column) => !there.columns.includes(column));
    if (missing.length)
      throw new Error(
        `table ${table.name} has no column ${missing.join(', ')} in the destination: the two databases are at different schema versions`,
      );
  }
}

/** A binary COPY stream per table, in the order given, metered for `onProgress`. */
async function copyTables(
  from: pg.ClientBase,
  to: pg.ClientBase,
  tables: readonly TableInfo[],
  onProgress: CopyDataOptions['onProgress'],
): Promise<CopyDataResult> {
  const totalBytes = tables.reduce((sum, table) => sum + table.bytes, 0);
  let doneBytes = 0;
  let copiedRows = 0;
  for (const [index, table] of tables.entries()) {
    const columns = table.columns.map(quoteIdent).join(', ');
    // The query form also reads a partitioned table (through its parent).
    const reader = from.query(copyTo(`COPY (SELECT ${columns} FROM ${table.qualified}) TO STDOUT (FORMAT binary)`));
    const writer = to.query(copyFrom(`COPY ${table.qualified} (${columns}) FROM STDIN (FORMAT binary)`));
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        doneBytes += chunk.length;
        onProgress?.({ table: table.name, tablesDone: index, tables: tables.length, doneBytes, totalBytes });
        callback(null, chunk);
      },
    });
    await pipeline(reader, meter, writer);
    copiedRows += writer.rowCount ?? 0;
  }
  return { tables: tables.length, rows: copiedRows, bytes: doneBytes };
}

async function setSequences(to: pg.ClientBase, sequences: Awaited<ReturnType<typeof readSequences>>): Promise<void> {
  for (const sequence of sequences) {
    await to
      .query('SELECT setval($1::regclass, $2, $3)', [sequence.qualified, sequence.value, sequence.called])
      .catch((error: Error) => {
        throw new Error(`sequence ${sequence.qualified} could not be set: ${error.message}`);
      });
  }
}

async function describeTables(client: pg.ClientBase): Promise<TableInfo[]> {
  const { rows } = await client.query<{
    schema: string;
    name: string;
    columns: string[];
    bytes: number;
    refs: string[] | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum) AS columns,
            pg_total_relation_size(c.oid)::float8 AS bytes,
            array(SELECT DISTINCT rn.nspname || '.' || rc.relname FROM pg_constraint f JOIN pg_class rc ON rc.oid = f.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                  WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid) AS refs
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`,
  );
  return rows.map((row) => ({
    name: `${row.schema}.${row.name}`,
    qualified: `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`,
    columns: row.columns,
    bytes: row.bytes,
    references: row.refs ?? [],
  }));
}

/** The enabled triggers of our own (not foreign-key checks) on `tables`, each with how it is enabled. */
async function userTriggers(
  client: pg.ClientBase,
  tables: readonly TableInfo[],
): Promise<Array<{ table: string; name: string; mode: '' | 'ALWAYS ' | 'REPLICA ' }>> {
  if (tables.length === 0) return [];
  const { rows } = await client.query<{ schema: string; table: string; name: string; enabled: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, t.tgenabled AS enabled
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND (n.nspname || '.' || c.relname) = ANY($1)
     ORDER BY 1, 2, 3`,
    [tables.map((table) => table.name)],
  );
  const modes = { O: '', A: 'ALWAYS ', R: 'REPLICA ' } as const;
  return rows.map((row) => ({
    table: `${quoteIdent(row.schema)}.${quoteIdent(row.table)}`,
    name: quoteIdent(row.name),
    mode: modes[row.enabled as keyof typeof modes] ?? '',
  }));
}

/** Parents before children; a cycle (only possible with deferred or disabled checks) keeps name order. */
function orderByReferences(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: TableInfo[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: TableInfo): void => {
    if (state.get(table.name)) return;
    state.set(table.name, 'visiting');
    for (const reference of table.references) {
      const parent = byName.get(reference);
      if (parent && !state.get(parent.name)) visit(parent);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

async function readSequences(
  client: pg.ClientBase,
): Promise<Array<{ qualified: string; value: string; called: boolean }>> {
  const { rows } = await client.query<{ schema: string; name: string; last: string | null; start: string }>(
    `SELECT schemaname AS schema, sequencename AS name, last_value::text AS last, start_value::text AS start FROM pg_sequences
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  // A sequence never used restarts where it would have; a used one continues after its last value.
  return rows.map((row) => ({
    qualified: `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`,
    value: row.last ?? row.start,
    called: row.last !== null,
  }));
}
