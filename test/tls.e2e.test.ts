import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { cliHome, startUp, type RunningCli } from './helpers/cli.js';
import { getWithHost } from './helpers/http.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
let up: RunningCli;
let httpsPort: number;
let ca: string;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request that trusts only the home's local CA and checks the certificate names the host. */
function secure(request: { method?: string; url: string; host: string; body?: unknown }): Promise<Answer> {
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = https.request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        method: request.method ?? 'GET',
        path: request.url,
        servername: request.host,
        ca,
        headers: { host: `${request.host}:${httpsPort}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

before(async () => {
  setup = await cliHome();
  httpsPort = await findFreePort();
  up = await startUp({ ...setup.env, STEADFAST_TLS: '1', STEADFAST_HTTPS_PORT: String(httpsPort) });
  ca = await readFile(path.join(setup.home, 'tls', 'ca.crt'), 'utf8');
});
after(async () => {
  assert.equal(await up.stop('SIGTERM'), 0, up.output());
  await setup.remove();
});

test('with tls on, workspaces are served over HTTPS with a certificate for them, and the banner says so', async () => {
  assert.match(up.output(), new RegExp(`Open https://demo\\.localhost:${httpsPort}`));
  assert.match(up.output(), new RegExp(`https://demo\\.localhost:${httpsPort}/reset-password#token=`));
  const answer = await secure({ url: '/api/v1/tenant', host: 'demo.localhost' });
  assert.equal(answer.status, 200, answer.body);
  assert.equal(JSON.parse(answer.body).slug, 'demo');
  assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  const policy = String(answer.headers['content-security-policy']);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.match(policy, /script-src 'self'(;|$)/);
});

test('the HTTP port sends every request to the same address over HTTPS', async () => {
  const redirected = await getWithHost(setup.httpPort, '/api/v1/me?x=1', `acme.localhost:${setup.httpPort}`);
  assert.equal(redirected.status, 308);
  assert.equal(redirected.headers.location, `https://acme.localhost:${httpsPort}/api/v1/me?x=1`);
});

test('over HTTPS the session cookie is __Host- prefixed and Secure', async () => {
  const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(up.output())![1];
  const password = 'a demo passphrase over tls';
  const chosen = await secure({
    method: 'POST',
    url: '/api/v1/password-resets/complete',
    host: 'demo.localhost',
    body: { token, password },
  });
  assert.equal(chosen.status, 204, chosen.body);
  const signIn = await secure({
    method: 'POST',
    url: '/api/v1/session',
    host: 'demo.localhost',
    body: { email: 'owner@example.com', password },
  });
  assert.equal(signIn.status, 200, signIn.body);
  const cookie = String(signIn.headers['set-cookie']);
  assert.match(cookie, /^__Host-steadfast_session=/);
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /Path=\//);
  assert.doesNotMatch(cookie, /Domain=/);
});
