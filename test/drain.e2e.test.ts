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

test('on SIGTERM a request under way is answered before steadfast exits', async () => {
  const up = await startUp(setup.env);
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
    // Hold a lock /readyz's query must wait for, so the request is in flight when the signal comes.
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
    const exited = up.stop('SIGTERM');
    await sleep(300);
    assert.equal(up.child.exitCode, null, 'steadfast exited while a request was still running');
    await blocker.query('COMMIT');
    assert.equal(await response, 200);
    const answeredAt = Date.now();
    assert.equal(await exited, 0, up.output());
    // The client keeps its connection alive; shutdown must not wait the whole grace period for it.
    assert.ok(Date.now() - answeredAt < 3000, `exit took ${Date.now() - answeredAt} ms after the last answer`);
  } finally {
    await blocker.end().catch(() => undefined);
    await up.stop();
  }
});
