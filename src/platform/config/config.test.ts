import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AppError } from '../errors.js';
import { loadConfig } from './config.js';

const cwd = '/srv/app';

function configError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error;
  }
  assert.fail('expected a CONFIG_INVALID error');
}

const dir = mkdtempSync(path.join(tmpdir(), 'steadfast-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function configFile(content: unknown): string {
  const file = path.join(dir, `steadfast-${++files}.config.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

test('defaults give a working local platform', () => {
  const config = loadConfig({ env: {}, cwd });
  assert.equal(config.home, '/srv/app/.steadfast');
  assert.equal(config.httpPort, 8080);
  assert.equal(config.baseDomain, 'localhost');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.demoTenant, 'demo');
  assert.ok(Object.isFrozen(config));
});

test('the environment overrides the config file, and flags override both', () => {
  const file = configFile({ httpPort: 9000, baseDomain: 'example.com', region: 'eu-1' });
  const config = loadConfig({
    env: { PORT: '9100', STEADFAST_HOME: '/var/lib/steadfast' },
    file,
    cwd,
    overrides: { region: 'us-2' },
  });
  assert.equal(config.httpPort, 9100);
  assert.equal(config.baseDomain, 'example.com');
  assert.equal(config.home, '/var/lib/steadfast');
  assert.equal(config.region, 'us-2');
});

test('a flag wins over the environment for the same key', () => {
  const config = loadConfig({ env: { PORT: '9100' }, cwd, overrides: { httpPort: '9200' } });
  assert.equal(config.httpPort, 9200);
});

test('connection settings that cannot work together are refused', () => {
  const error = configError(() =>
    loadConfig({
      env: {
        STEADFAST_TENANT_POOL_MAX_CONNECTIONS: '50',
        STEADFAST_TENANT_POOLS_MAX_CONNECTIONS: '40',
        STEADFAST_POSTGRES_MAX_CONNECTIONS: '50',
      },
      cwd,
    }),
  );
  assert.match(error.message, /tenantPoolMaxConnections.*must not exceed tenantPoolsMaxConnections \(40\)/);
  assert.match(error.message, /tenantPoolsMaxConnections.*must leave 20 of postgresMaxConnections \(50\)/);
});

test('a DATABASE_URL whose database name cannot prefix tenant databases is refused', () => {
  const error = configError(() =>
    loadConfig({ env: { DATABASE_URL: 'postgres://u:p@db.example.com:5432/My-Platform' }, cwd }),
  );
  assert.match(error.message, /databaseUrl \(DATABASE_URL\): names the platform database "My-Platform"/);
});

test('reports every invalid key at once, naming its environment variable', () => {
  const error = configError(() =>
    loadConfig({ env: { PORT: 'eighty', STEADFAST_POSTGRES_PORT: '70000', LOG_LEVEL: 'loud' }, cwd }),
  );
  const problems = error.extensions.errors as string[];
  assert.equal(problems.length, 3);
  assert.match(error.message, /httpPort \(PORT\)/);
  assert.match(error.message, /postgresPort \(STEADFAST_POSTGRES_PORT\)/);
  assert.match(error.message, /logLevel \(LOG_LEVEL\)/);
});

test('an unknown key in the config file is reported with the key it was probably meant to be', () => {
  const file = configFile({ httpport: 9000, baseDomian: 'example.com' });
  const error = configError(() => loadConfig({ env: {}, file, cwd }));
  assert.match(error.message, /unknown key "httpport".*did you mean "httpPort"/);
  assert.match(error.message, /unknown key "baseDomian".*did you mean "baseDomain"/);
});

test('a config file that is not JSON says so', () => {
  const file = configFile('{ port: 1 ');
  const error = configError(() => loadConfig({ env: {}, file, cwd }));
  assert.match(error.message, /is not valid JSON/);
});

test('a missing config file named explicitly is an error that names where its path came from', () => {
  const fromEnv = configError(() => loadConfig({ env: { STEADFAST_CONFIG: '/nonexistent/steadfast.json' }, cwd }));
  assert.match(
    fromEnv.message,
    /^Cannot read the config file \/nonexistent\/steadfast.json: there is no such file. Fix the path given in STEADFAST_CONFIG, or create the file.$/,
  );
  const fromOption = configError(() => loadConfig({ env: {}, file: '/nonexistent/given.json', cwd }));
  assert.match(fromOption.message, /\/nonexistent\/given.json: there is no such file. Fix the path given in --config,/);
  assert.doesNotMatch(fromOption.message, /STEADFAST_CONFIG/);
});

test('a config path that cannot be read as a file is not blamed on a missing file', () => {
  const error = configError(() => loadConfig({ env: {}, file: tmpdir(), cwd }));
  assert.match(error.message, /^Cannot read the config file .*: EISDIR.*\. Give the path of a readable JSON file\.$/);
  assert.doesNotMatch(error.message, /create the file/);
});

test('a short secret key is refused', () => {
  const error = configError(() => loadConfig({ env: { STEADFAST_SECRET_KEY: 'short' }, cwd }));
  assert.match(error.message, /secretKey.*at least 32/);
});

test('replication peers come as a comma-separated list or a JSON array of addresses and ranges; anything else is refused', () => {
  assert.deepEqual(
    loadConfig({ env: { STEADFAST_REPLICATION_PEERS: '10.0.0.2, 10.1.0.0/16,fd00::5' }, cwd }).replicationPeers,
    ['10.0.0.2', '10.1.0.0/16', 'fd00::5'],
  );
  assert.deepEqual(loadConfig({ env: { STEADFAST_REPLICATION_PEERS: '["192.168.1.7"]' }, cwd }).replicationPeers, [
    '192.168.1.7',
  ]);
  assert.deepEqual(loadConfig({ env: {}, cwd }).replicationPeers, []);
  for (const bad of ['db.example.net', '10.0.0.0/33', '10.0.0.1/8/2']) {
    assert.match(
      configError(() => loadConfig({ env: { STEADFAST_REPLICATION_PEERS: bad }, cwd })).message,
      /replicationPeers \(STEADFAST_REPLICATION_PEERS\): must be an IP address or a CIDR range/,
    );
  }
  assert.match(
    configError(() => loadConfig({ env: { STEADFAST_REPLICATION_MODE: 'eventually' }, cwd })).message,
    /replicationMode/,
  );
});

test('the node name defaults to the host name, made fit for a slot name', async () => {
  const { defaultNodeName } = await import('./config.js');
  assert.equal(defaultNodeName('DB-1.eu-west.example.net'), 'db_1');
  assert.equal(defaultNodeName('7f3a9c'), 'n7f3a9c');
  assert.match(loadConfig({ env: {}, cwd }).nodeName, /^[a-z][a-z0-9_]{0,30}$/);
  assert.match(configError(() => loadConfig({ env: { STEADFAST_NODE_NAME: 'Node A' }, cwd })).message, /nodeName/);
});
