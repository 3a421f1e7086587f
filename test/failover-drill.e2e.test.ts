import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DrillPair, drillTenant, failover, type FailoverDrillResult } from '../src/modules/replication/index.js';
import { createLogger } from '../src/platform/log/log.js';
import { cliHome, runCli, startUp } from './helpers/cli.js';

const log = createLogger('error');

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** One request on a fresh connection, with the Host header a tenant is served on (fetch() may not set it). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

describe('an app process that knows both servers (DATABASE_URL with a host list)', () => {
  let pair: DrillPair;
  const post = (body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    call(
      pair.appPort,
      'POST',
      '/api/v1/drill/writes',
      { host: `${drillTenant}.localhost`, authorization: `Bearer ${pair.token}`, ...headers },
      body,
    );
  const tenant = (): Promise<Answer> =>
    call(pair.appPort, 'GET', '/api/v1/tenant', { host: `${drillTenant}.localhost` });

  before(async () => {
    pair = await DrillPair.create({ mode: 'async', log, retrySeconds: 3 });
  });
  after(() => pair?.stop());

  test('writes through the API once, however often a write is sent; a wrong token or body gets a problem document', async () => {
    assert.equal((await post({ sequence: 1 }, { 'idempotency-key': 'w-1' })).status, 201);
    const again = await post({ sequence: 1 }, { 'idempotency-key': 'w-1' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { sequence: 1, written: false, serverPort: pair.nodes[0].config.postgresPort });
    const stranger = await post({ sequence: 2 }, { authorization: 'Bearer not-the-token' });
    assert.equal(stranger.status, 401);
    assert.match(stranger.headers['content-type']!, /application\/problem\+json/);
    assert.equal(stranger.body.code, 'UNAUTHENTICATED');
    const bad = await post({ sequence: -3 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail as string, /positive integer/);
  });

  test('with no primary: a 503 with Retry-After once the request has waited for one; a request under way when the standby is promoted succeeds on it, found by itself', async () => {
    const [primary, standby] = pair.nodes;
    await pair.kill(primary);

    const unsafe = await post({ sequence: 10 });
    assert.equal(unsafe.status, 503);
    assert.equal(unsafe.headers['retry-after'], '5');
    assert.equal(unsafe.body.code, 'DATABASE_UNAVAILABLE');
    assert.equal(unsafe.body.retryable, true);

    const started = Date.now();
    const waited = await post({ sequence: 11 }, { 'idempotency-key': 'w-11' });
    assert.equal(waited.status, 503);
    assert.equal(waited.headers['retry-after'], '5');
    assert.match(waited.body.detail as string, /No database primary answered in time/);
    assert.ok(Date.now() - started >= 2500, 'the request waited for a primary (3 s here) before giving up');
    assert.equal((await tenant()).status, 503, 'reads too end in a 503 while no primary exists');

    // A request under way when the standby is promoted succeeds: the server retried it.
    const during = post({ sequence: 12 }, { 'idempotency-key': 'w-12' });
    await failover(standby.config, log, { primaryIsDown: true, actor: { kind: 'system', name: 'test' } });
    assert.equal((await during).status, 201);
    assert.equal((await tenant()).status, 200);
    const rows = await pair.sql<{ sequence: number }>(standby, 'SELECT sequence FROM drill_writes ORDER BY sequence');
    assert.deepEqual(
      rows.map((row) => row.sequence),
      [1, 12],
      'the write refused as unsafe to repeat was not made; nothing was written twice',
    );
  });
});

test('steadfast drill failover: in both modes, kills the primary, measures RPO and RTO through the HTTP API, rebuilds the old primary, records the result', async () => {
  const home = await cliHome();
  try {
    const drill = await runCli(['drill', 'failover', '--mode', 'both', '--trials', '2', '--json'], home.env);
    assert.equal(drill.code, 0, drill.stderr + drill.stdout);
    const { results, recorded } = JSON.parse(drill.stdout) as { results: FailoverDrillResult[]; recorded: boolean };
    assert.equal(recorded, true);
    assert.deepEqual(
      results.map((result) => result.mode),
      ['sync', 'async'],
    );
    for (const result of results) {
      assert.equal(result.passed, true, JSON.stringify(result.problems));
      assert.equal(result.trials.length, 2);
      // The roles swap: each node is killed once and rebuilt as the other's standby.
      assert.deepEqual(
        result.trials.map((trial) => trial.killed),
        ['drill_a', 'drill_b'],
      );
      for (const trial of result.trials) {
        assert.ok(trial.acknowledged > 0, 'writes were acknowledged before the kill');
        assert.ok(trial.rtoSeconds > 0 && trial.rtoSeconds < 30, `RTO ${trial.rtoSeconds} s`);
        assert.ok(
          trial.directRtoSeconds > 0 && trial.directRtoSeconds <= trial.rtoSeconds + 1,
          'the baseline is measured in the same trial',
        );
        assert.match(trial.oldPrimary, /followed on its own data|copied anew/);
      }
    }
    assert.equal(results[0]!.lost, 0, 'synchronous mode lost no acknowledged write');

    // `status` starts nothing: the installation runs, as it would where an operator drills.
    const up = await startUp(home.env);
    const status = await runCli(['status', '--json'], home.env);
    await up.stop();
    const drills = (
      JSON.parse(status.stdout) as { failoverDrills: Array<{ mode: string; passed: boolean; trials: number }> }
    ).failoverDrills;
    assert.deepEqual(
      drills.map(({ mode, passed, trials }) => ({ mode, passed, trials })),
      [
        { mode: 'async', passed: true, trials: 2 },
        { mode: 'sync', passed: true, trials: 2 },
      ],
    );
  } finally {
    await home.remove();
  }
});
