import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import { findFreePort } from '../../platform/postgres/supervisor.js';
import { stateFile } from '../../platform/storage/state-file.js';
import { ProbeRunner, type PendingReading } from './status.runner.js';
import type { ProbePlan } from './status.service.js';

const clock = manualClock(new Date('2027-06-01T10:00:10Z'));
let platform: TestPlatform;
let app: FastifyInstance | undefined;
let port: number;
let stateDir: string;
const said: string[] = [];

async function serve(): Promise<void> {
  app = await buildTestApp(platform);
  await app.listen({ port, host: '127.0.0.1' });
}

function runner(token: string): ProbeRunner {
  const damaged = (file: string) => new Error(`${file} is damaged`);
  return new ProbeRunner({
    // A process that is gone, then the one that answers.
    reportTo: [`http://localhost:${port + 1}`, `http://localhost:${port}`],
    token,
    clock,
    plan: stateFile<ProbePlan>(path.join(stateDir, 'plan.json'), { damaged }),
    backlog: stateFile<PendingReading[]>(path.join(stateDir, 'backlog.json'), { damaged }),
    say: (line) => said.push(line),
  });
}

before(async () => {
  port = await findFreePort();
  platform = await createTestPlatform({}, { clock, publicPort: port });
  stateDir = await mkdtemp(path.join(tmpdir(), 'sf-probe-'));
  await serve();
});
after(async () => {
  await app?.close();
  await platform.destroy();
  await rm(stateDir, { recursive: true, force: true });
});

test('a remote runner checks its plan, reports as its location, keeps what it measures while the platform is gone, and sends it when it is back', async () => {
  const { token } = await platform.status.locations.add('dc2', 'operator:test');
  const probe = runner(token);

  const first = await probe.round();
  assert.equal(first.reportedTo, `http://localhost:${port}`, 'the first process that answers');
  assert.equal(first.checked, 2, 'the web app and the API at the public address');
  const now = await platform.status.current();
  assert.deepEqual(
    now.get('web')?.locations.map((l) => `${l.location} ${l.state}`),
    ['dc2 operational'],
  );
  assert.match(now.get('api')!.locations[0]!.message, /^HTTP 200/);
  assert.ok((await platform.status.locations.get('dc2')).lastReportAt);

  // The platform's only process goes away: the runner goes on with its last plan.
  await app!.close();
  app = undefined;
  clock.advance(60_000);
  const during = await probe.round();
  assert.equal(during.reportedTo, undefined);
  assert.equal(during.checked, 2);
  assert.equal(during.backlog, 2);
  clock.advance(60_000);
  assert.equal((await probe.round()).backlog, 4);

  // Back: the backlog goes first, and lands in the minutes it was measured.
  await serve();
  clock.advance(60_000);
  const back = await probe.round();
  assert.equal(back.reportedTo, `http://localhost:${port}`);
  assert.equal(back.backlog, 0);
  const minutes = await platform.status.readings.minutes(
    { start: new Date('2027-06-01T10:00:00Z'), end: new Date('2027-06-01T10:05:00Z') },
    ['web'],
  );
  assert.deepEqual(
    [...minutes.get('web')!].map(([minute, state]) => `${new Date(minute).toISOString().slice(11, 16)} ${state}`),
    ['10:00 operational', '10:01 major_outage', '10:02 major_outage', '10:03 operational'],
    'the web app was down while the only process was gone, as seen from dc2',
  );

  // A revoked location's runner is told so, in words.
  await platform.status.locations.revoke('dc2', 'operator:test');
  await assert.rejects(probe.round(), /refused this runner's token/);
});

test('readings of components outside the plan, or from too long ago, are refused', async () => {
  const { token } = await platform.status.locations.add('dc3', 'operator:test');
  const response = await app!.inject({
    method: 'POST',
    url: '/api/v1/probe/reports',
    headers: { host: `localhost:${port}`, authorization: `Bearer ${token}` },
    payload: {
      readings: [
        { componentId: 'web', at: clock.now().toISOString(), state: 'operational', message: 'ok' },
        { componentId: 'database', at: clock.now().toISOString(), state: 'major_outage', message: 'forged' },
        { componentId: 'web', at: '2020-01-01T00:00:00Z', state: 'major_outage', message: 'too old' },
      ],
    },
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(response.json(), { accepted: 1, refused: 2 });
  const anonymous = await app!.inject({ url: '/api/v1/probe/plan', headers: { host: `localhost:${port}` } });
  assert.equal(anonymous.statusCode, 401);
  assert.match(anonymous.json().detail, /Authorization: Bearer sfprobe_/);
});
