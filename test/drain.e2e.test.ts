import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { embeddedSuperuser } from '../src/platform/postgres/embedded.js';
import { derivePassword } from '../src/platform/crypto/secrets.js';
import { readPostmasterPid } from '../src/platform/postgres/data-dir.js';
import { cliHome, startUp } from './helpers/cli.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
before(async () => {
  setup = await cliHome();
});
after(async () => {
  await setup.remove();
});

/**
 * Starts `up`, holds a request in flight (a lock /readyz's query waits for), stops steadfast the
 * way `stop` does, and checks the request is answered before it exits, and it exits promptly after.
 */
async function drainsARequest(
  stop: (up: Awaited<ReturnType<typeof startUp>>) => Promise<number | null>,
  processGroup = false,
): Promise<string> {
  const up = await startUp(setup.env, [], { processGroup });
  const secretKey = (await readFile(path.join(setup.home, 'secret.key'), 'utf8')).trim();
  const { port } = (await readPostmasterPid(path.join(setup.home, 'postgres', 'data')))!;
  const blocker = new pg.Client({
    host: '127.0.0.1',
    port,
    user: embeddedSuperuser,
    password: derivePassword(secretKey, embeddedSuperuser),
    database: 'steadfast',
  });
  blocker.on('error', () => undefined); // Postgres stops with steadfast; this client is ours to close.
  await blocker.connect();
  try {
    await blocker.query('BEGIN; LOCK TABLE kysely_migration IN ACCESS EXCLUSIVE MODE');
    const response = new Promise<number>((resolve, reject) => {
      http
        .get(
          { host: '127.0.0.1', port: setup.httpPort, path: '/readyz', agent: new http.Agent({ keepAlive: true }) },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        )
        .on('error', reject);
    });
    await sleep(300);
    const exited = stop(up);
    await sleep(300);
    assert.equal(up.child.exitCode, null, 'steadfast exited while a request was still running');
    await blocker.query('COMMIT');
    assert.equal(await response, 200, up.output());
    const answeredAt = Date.now();
    assert.equal(await exited, 0, up.output());
    // The client keeps its connection alive; shutdown must not wait the whole grace period for it.
    assert.ok(Date.now() - answeredAt < 3000, `exit took ${Date.now() - answeredAt} ms after the last answer`);
    return up.output();
  } finally {
    await blocker.end().catch(() => undefined);
    await up.stop();
  }
}

test('on SIGTERM a request under way is answered before steadfast exits', async () => {
  await drainsARequest((up) => up.stop('SIGTERM'));
});

test('Ctrl-C on a terminal drains requests, closes the app, then stops PostgreSQL, printing no error', async () => {
  const output = await drainsARequest((up) => up.interrupt(), true);
  const lines = output.split('\n');
  const at = (message: string): number => lines.findIndex((line) => line.includes(`"msg":"${message}"`));
  assert.ok(at('shutting down') >= 0, output);
  assert.ok(at('this process is no longer the leader') >= 0, output);
  assert.ok(at('PostgreSQL stopped') > at('this process is no longer the leader'), 'PostgreSQL stops last');
  const complaints = lines.filter((line) => /"level":(40|50|60)/.test(line) || /^\s+at /.test(line));
  assert.deepEqual(complaints, [], 'a clean stop warns of nothing and prints no stack trace');
});
