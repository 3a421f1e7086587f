import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startScratchCluster, type ScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { copyDatabaseData } from './copy-data.js';

let cluster: ScratchCluster;
const ownerPassword = 'copy-owner-password';

const schema = `
  CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE child (id int PRIMARY KEY, parent int NOT NULL REFERENCES parent, note text);
  CREATE SEQUENCE tickets START 100;`;

// The destination's triggers refuse every row: a load during which one fires fails.
const triggers = `
  CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'trigger % fired', TG_NAME; END $$;
  CREATE TRIGGER on_parent BEFORE INSERT ON parent FOR EACH ROW EXECUTE FUNCTION refuse();
  CREATE TRIGGER always_on_child BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION refuse();
  ALTER TABLE child ENABLE ALWAYS TRIGGER always_on_child;
  CREATE TRIGGER switched_off BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION refuse();
  ALTER TABLE child DISABLE TRIGGER switched_off;`;

before(async () => {
  cluster = await startScratchCluster('copy-data');
  await cluster.sql(`CREATE ROLE copy_owner LOGIN NOSUPERUSER PASSWORD '${ownerPassword}'`);
  for (const database of ['source', 'as_owner', 'as_superuser']) {
    await cluster.sql(`CREATE DATABASE ${database} OWNER copy_owner`);
    await cluster.sql(`SET ROLE copy_owner; ${schema}${database === 'source' ? '' : triggers}`, [], database);
  }
  await cluster.sql(
    `INSERT INTO parent SELECT g, 'parent ' || g FROM generate_series(1, 50) g;
     INSERT INTO child SELECT g, 1 + g % 50, 'note ' || g FROM generate_series(1, 500) g;
     SELECT nextval('tickets'), nextval('tickets');`,
    [],
    'source',
  );
});
after(async () => {
  await cluster?.stop();
});

async function triggerStates(database: string): Promise<string[]> {
  const rows = await cluster.sql<{ state: string }>(
    "SELECT tgname::text || '=' || tgenabled::text AS state FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname",
    [],
    database,
  );
  return rows.map((row) => row.state);
}

async function assertCopied(database: string): Promise<void> {
  const [counts] = await cluster.sql<{ parents: number; children: number; next: string }>(
    'SELECT (SELECT count(*)::int FROM parent) AS parents, (SELECT count(*)::int FROM child) AS children, (SELECT last_value::text FROM tickets) AS next',
    [],
    database,
  );
  assert.deepEqual(counts, { parents: 50, children: 500, next: '101' });
  // Each trigger is back as it was: enabled, enabled always, disabled.
  assert.deepEqual(await triggerStates(database), ['always_on_child=A', 'on_parent=O', 'switched_off=D']);
}

test('as the tables owner (no superuser): rows land, the destination triggers do not fire and end as they were', async () => {
  const destination = { ...cluster.target('as_owner'), user: 'copy_owner', password: ownerPassword };
  const result = await copyDatabaseData(cluster.target('source'), destination);
  assert.equal(result.rows, 550);
  await assertCopied('as_owner');
});

test('as a superuser writing as the owner: the same', async () => {
  const result = await copyDatabaseData(cluster.target('source'), cluster.target('as_superuser'), {
    role: 'copy_owner',
  });
  assert.equal(result.rows, 550);
  await assertCopied('as_superuser');
});

test('a load that fails half-way leaves the destination as it was, triggers included', async () => {
  // Half-way through the children a row breaks a rule only the destination has.
  await cluster.sql(
    "ALTER TABLE child ADD CONSTRAINT short_notes CHECK (length(note) < 8) NOT VALID; UPDATE child SET note = 'kept'",
    [],
    'as_superuser',
  );
  await assert.rejects(
    copyDatabaseData(cluster.target('source'), cluster.target('as_superuser'), { role: 'copy_owner' }),
    /short_notes/,
  );
  const notes = await cluster.sql<{ note: string }>('SELECT DISTINCT note FROM child', [], 'as_superuser');
  assert.deepEqual(notes, [{ note: 'kept' }]);
  await assertCopied('as_superuser');
});
