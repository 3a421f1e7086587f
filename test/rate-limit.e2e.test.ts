import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { startSteadfast } from '../src/platform/process/child.js';
import { cliHome, startUp, type RunningCli } from './helpers/cli.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
const running: RunningCli[] = [];
let ports: number[];

before(async () => {
  setup = await cliHome();
  const env = { ...setup.env, STEADFAST_SIGN_IN_RATE_LIMIT_PER_MINUTE: '4' };
  running.push(await startUp(env));
  // A second process serving HTTP from the same platform database, as a scaled deployment runs them.
  const servePort = await findFreePort();
  running.push(
    await startSteadfast(['serve'], { env: { ...env, PORT: String(servePort) }, ready: 'Steadfast is running' }),
  );
  ports = [setup.httpPort, servePort];
});
after(async () => {
  for (const child of running.reverse()) await child.stop('SIGTERM');
  await setup.remove();
});

function signIn(port: number): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  const payload = JSON.stringify({ email: 'someone@example.com', password: 'not the password of anyone' });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/session',
        headers: {
          host: `demo.localhost:${port}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'] as string | undefined,
            body,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

test('the sign-in limit of an address holds across two processes: up and serve count together', async () => {
  const answers = [];
  for (let attempt = 0; attempt < 5; attempt++) answers.push(await signIn(ports[attempt % 2]!));
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [401, 401, 401, 401, 429],
    answers.map((answer) => answer.body).join('\n'),
  );
  assert.ok(Number(answers[4]!.retryAfter) > 0);
  assert.equal(JSON.parse(answers[4]!.body).code, 'TOO_MANY_ATTEMPTS');
});
