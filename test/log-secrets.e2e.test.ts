import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generate } from 'otplib';
import { cliHome, runCli, startUp, type RunningCli } from './helpers/cli.js';
import { sendWithHost } from './helpers/http.js';

/**
 * With every request logged (LOG_LEVEL=trace), a password, a session cookie, a CSRF token, an
 * API token, a TOTP seed and a reset link go through `steadfast up`, and none of them is in its
 * output: the one-time link of the first start is printed once, on the terminal, and nowhere else.
 * The same for the staff side: a setup link, a staff password and seed, a console session, a
 * support entry link and the support session it opens.
 */

let setup: Awaited<ReturnType<typeof cliHome>>;
let up: RunningCli;

before(async () => {
  setup = await cliHome();
  up = await startUp({ ...setup.env, LOG_LEVEL: 'trace' });
});
after(async () => {
  assert.equal(await up.stop('SIGTERM'), 0, up.output());
  await setup.remove();
});

test('no secret reaches a log line', async () => {
  const host = `demo.localhost:${setup.httpPort}`;
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const answer = await sendWithHost(setup.httpPort, { method, url, host, body, headers });
    assert.ok(answer.status < 400, `${method} ${url}: ${answer.status} ${answer.body}`);
    return answer;
  };
  const link = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(up.output())![1]!;
  const password = 'a passphrase that must never be logged';
  await call('POST', '/api/v1/password-resets/complete', { token: link, password });
  const signedIn = await call('POST', '/api/v1/session', { email: 'owner@example.com', password });
  const sessionToken = /steadfast_session=([^;]+)/.exec(String(signedIn.headers['set-cookie']))![1]!;
  const csrf = JSON.parse(signedIn.body).csrfToken as string;
  const session = { cookie: `steadfast_session=${sessionToken}`, 'x-csrf-token': csrf };
  const made = await call('POST', '/api/v1/me/tokens', { name: 'ci', scope: 'read', expiresInDays: 1 }, session);
  const apiToken = JSON.parse(made.body).token as string;
  await call('GET', '/api/v1/me', undefined, { authorization: `Bearer ${apiToken}` });
  const seed = JSON.parse((await call('POST', '/api/v1/me/totp', undefined, session)).body).secret as string;
  await call('POST', '/api/v1/me/totp/confirm', { code: await generate({ secret: seed }) }, session);

  const staff = await staffSecrets(host);

  const output = up.output();
  assert.match(output, /"msg":"incoming request"|incoming request/, 'requests were logged');
  for (const [what, secret] of Object.entries({ password, sessionToken, csrf, apiToken, seed, ...staff }))
    assert.ok(!output.includes(secret), `the ${what} is in the output`);
  assert.equal(output.split(link).length, 2, 'the first-start link appears once, in the banner');
});

/** A member of staff set up from the CLI's link, signed in, entering the demo workspace under a grant: every secret on the way. */
async function staffSecrets(demoHost: string): Promise<Record<string, string>> {
  const host = `console.localhost:${setup.httpPort}`;
  const made = await runCli(['staff', 'create', 'ops@example.com'], setup.env);
  const setupToken = /#token=([A-Za-z0-9_-]+)/.exec(made.stdout)![1]!;
  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}, to = host) => {
    const answer = await sendWithHost(setup.httpPort, { method, url, host: to, body, headers });
    assert.ok(answer.status < 400, `${method} ${url}: ${answer.status} ${answer.body}`);
    return answer;
  };
  const staffSeed = JSON.parse((await send('POST', '/api/v1/console/setup/open', { token: setupToken })).body)
    .secret as string;
  const staffPassword = 'another passphrase never to be logged';
  const done = await send('POST', '/api/v1/console/setup', {
    token: setupToken,
    password: staffPassword,
    code: await generate({ secret: staffSeed }),
  });
  const consoleToken = /steadfast_console=([^;]+)/.exec(String(done.headers['set-cookie']))![1]!;
  const consoleCsrf = JSON.parse(done.body).csrfToken as string;
  const staffSession = { cookie: `steadfast_console=${consoleToken}`, 'x-csrf-token': consoleCsrf };
  const grant = await send(
    'POST',
    '/api/v1/console/grants',
    { tenant: 'demo', reason: 'Checking the log stays clean' },
    staffSession,
  );
  const entry = await send(
    'POST',
    `/api/v1/console/grants/${JSON.parse(grant.body).id}/entry`,
    undefined,
    staffSession,
  );
  const entryToken = /#token=([A-Za-z0-9_-]+)/.exec(JSON.parse(entry.body).url)![1]!;
  const entered = await send('POST', '/api/v1/support/session', { token: entryToken }, {}, demoHost);
  const supportToken = /steadfast_support=([^;]+)/.exec(String(entered.headers['set-cookie']))![1]!;
  await send('GET', '/api/v1/members', undefined, { cookie: `steadfast_support=${supportToken}` }, demoHost);
  return { setupToken, staffSeed, staffPassword, consoleToken, consoleCsrf, entryToken, supportToken };
}
