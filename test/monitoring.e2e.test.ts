import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { startSteadfast } from '../src/platform/process/child.js';
import { cliHome, runCli, startUp, type RunningCli } from './helpers/cli.js';
import { startSmtp } from './helpers/smtp.js';

let setup: Awaited<ReturnType<typeof cliHome>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let stateDir: string;
const running: RunningCli[] = [];

before(async () => {
  setup = await cliHome();
  smtp = await startSmtp();
  stateDir = await mkdtemp(path.join(tmpdir(), 'sf-probe-e2e-'));
});
after(async () => {
  for (const child of running.reverse()) await child.stop('SIGTERM');
  await smtp.close();
  await setup.remove();
  await rm(stateDir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(100);
  }
}

test('a remote probe runner keeps reporting, and the alert goes out, while the server people reach is killed', async () => {
  // The platform (its database and leader) on one port; the server people reach on another, as
  // behind a load balancer; probes every 2 s so the test does not wait out 30 s rounds.
  const publicPort = await findFreePort();
  const env = {
    ...setup.env,
    STEADFAST_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    STEADFAST_PUBLIC_URL: `http://localhost:${publicPort}`,
    STEADFAST_PROBE_INTERVAL_SECONDS: '2',
    STEADFAST_JOB_POLL_INTERVAL_MS: '200',
  };
  running.push(await startUp(env));
  const server = await startSteadfast(['serve'], {
    env: { ...env, PORT: String(publicPort) },
    ready: 'Steadfast is running',
  });
  running.push(server);

  const channel = await runCli(['alerts', 'channel', 'add', 'on-call', '--email', 'oncall@example.com'], env);
  assert.equal(channel.code, 0, channel.stderr);
  const location = await runCli(['probe', 'location', 'add', 'dc2'], env);
  assert.equal(location.code, 0, location.stderr);
  const token = /(sfprobe_\S+)/.exec(location.stdout)![1]!;

  const toPublic = `http://localhost:${publicPort}`;
  const toPlatform = `http://localhost:${setup.httpPort}`;
  const runner = await startSteadfast(
    ['probe', '--report-to', toPublic, '--report-to', toPlatform, '--state-dir', stateDir],
    { env: { STEADFAST_PROBE_TOKEN: token }, ready: `reported to ${toPublic}` },
  );
  running.push(runner);
  assert.ok(!runner.output().includes(token), 'the runner never prints its token');

  // Until the server people reach answers, the web app is down as the platform sees it: wait
  // until it has been up for a few rounds, so what follows is a new outage.
  const webFiring = async () =>
    (
      JSON.parse((await runCli(['alerts', 'list', '--json'], env)).stdout) as { firing: { subject: string }[] }
    ).firing.some((alert) => alert.subject === 'web');
  for (let quiet = 0, tries = 0; quiet < 3; tries++) {
    if (tries > 60) throw new Error('the web app never came up as the platform sees it');
    quiet = (await webFiring()) ? 0 : quiet + 1;
    await sleep(1000);
  }
  await server.stop('SIGKILL');
  await until(
    'the runner to report to the platform’s other process',
    () => runner.output().includes(`reported to ${toPlatform}`),
    30,
  );
  // The body is quoted-printable: long lines are folded with a soft break.
  const webAlert = () =>
    smtp.received.find((mail) =>
      mail.data.includes('Subject: [Steadfast localhost] FIRING: A component is down (web)'),
    );
  await until('the alert email about the web app', () => webAlert() !== undefined, 45);
  const alert = webAlert()!;
  const body = alert.data.replace(/=\r\n/g, '');
  assert.deepEqual(alert.to, ['oncall@example.com']);
  assert.match(body, /Web app is down \(major outage\)/);
  assert.match(body, /dc2: failed: connect ECONNREFUSED/, 'what the remote location saw');
  assert.match(body, /local: failed: connect ECONNREFUSED/, 'and what the platform saw itself');
  assert.equal(
    smtp.received.filter((mail) => mail.data.includes('FIRING: A component is down (web)')).length,
    1,
    'one email for one outage',
  );

  const alerts = await runCli(['alerts', 'list', '--json'], env);
  const listed = JSON.parse(alerts.stdout) as { firing: { ruleId: string; subject: string }[] };
  assert.ok(listed.firing.some((a) => a.ruleId === 'component_down' && a.subject === 'web'));
});
