import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { staffConsole, type Session } from '../../../test/helpers/console.js';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import { createCertificateAuthority, issueNodeCertificate } from '../../platform/crypto/certs.js';
import type { ComponentState, Probe } from '../../platform/probes.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { renderStatusSite } from './status.page.js';
import { StatusPublisher } from './status.publish.js';
import type { StatusService } from './status.service.js';

const clock = manualClock(new Date('2027-03-10T12:00:05Z'));
let platform: TestPlatform;
let status: StatusService;
let app: FastifyInstance;
let onConsole: ReturnType<typeof staffConsole>['onConsole'];
let staff: Session;
const servers: { close(): unknown }[] = [];

/** A probe of a made-up component whose state the test sets. */
function fakeProbe(id: string, state: () => ComponentState): Probe {
  return {
    component: { id, name: id, description: `the ${id}` },
    check: async () => ({ state: state(), responseMs: 5, message: `it is ${state()}` }),
  };
}

async function listening<S extends net.Server>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  platform = await createTestPlatform({}, { clock });
  status = platform.status;
  app = await buildTestApp(platform);
  const console = staffConsole(app, platform, clock);
  onConsole = console.onConsole;
  ({ session: staff } = await console.setUpStaff('ops@steadfast.example'));
});
after(async () => {
  for (const server of servers) server.close();
  await app.close();
  await platform.destroy();
});

describe('probes', () => {
  test("a round runs the modules' probes and the operator's HTTP, TCP and TLS checks, and keeps what each found", async () => {
    const web = http.createServer((request, response) => {
      response.writeHead(request.url === '/down' ? 503 : 200, { 'content-type': 'text/plain' });
      response.end('all systems go');
    });
    const webPort = await listening(web);
    const tcpPort = await listening(net.createServer((socket) => socket.end()));
    const ca = await createCertificateAuthority('probe test CA');
    const certificate = await issueNodeCertificate(ca, {
      commonName: 'localhost',
      addresses: ['127.0.0.1'],
      validityDays: 10,
    });
    const tlsPort = await listening(tls.createServer({ cert: certificate.certificate, key: certificate.privateKey }));

    const add = (body: unknown) => onConsole('POST', '/status/checks', staff, body);
    assert.equal(
      (
        await add({
          name: 'Marketing site',
          kind: 'http',
          target: { url: `http://127.0.0.1:${webPort}/`, keyword: 'systems go' },
        })
      ).statusCode,
      201,
    );
    assert.equal(
      (await add({ name: 'Broken page', kind: 'http', target: { url: `http://127.0.0.1:${webPort}/down` } }))
        .statusCode,
      201,
    );
    assert.equal(
      (
        await add({
          name: 'Missing word',
          kind: 'http',
          target: { url: `http://127.0.0.1:${webPort}/`, keyword: 'on fire' },
        })
      ).statusCode,
      201,
    );
    assert.equal(
      (await add({ name: 'SMTP relay', kind: 'tcp', target: { host: '127.0.0.1', port: tcpPort } })).statusCode,
      201,
    );
    assert.equal(
      (await add({ name: 'Closed port', kind: 'tcp', target: { host: '127.0.0.1', port: 1 } })).statusCode,
      201,
    );
    assert.equal(
      (await add({ name: 'API certificate', kind: 'tls', target: { host: '127.0.0.1', port: tlsPort } })).statusCode,
      201,
    );
    const refused = await add({ name: 'No target', kind: 'tcp', target: {} });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json().detail, /needs a host/);
    const twice = await add({ name: 'Marketing  site!', kind: 'http', target: { url: 'http://127.0.0.1:1/' } });
    assert.equal(twice.statusCode, 409, 'the same name, written differently, is the same check');

    const results = await status.probeRound([fakeProbe('queue', () => 'operational')]);
    const found = new Map(results.map((result) => [result.component.id, result.outcome]));
    assert.equal(found.get('queue')?.state, 'operational');
    assert.equal(found.get('check:marketing-site')?.state, 'operational');
    assert.match(found.get('check:marketing-site')!.message, /^HTTP 200 in/);
    assert.equal(found.get('check:broken-page')?.state, 'major_outage');
    assert.match(found.get('check:broken-page')!.message, /HTTP 503 .* expected below 400/);
    assert.equal(found.get('check:missing-word')?.state, 'major_outage');
    assert.match(found.get('check:missing-word')!.message, /"on fire" is missing/);
    assert.equal(found.get('check:smtp-relay')?.state, 'operational');
    assert.equal(found.get('check:closed-port')?.state, 'major_outage');
    assert.match(found.get('check:closed-port')!.message, /ECONNREFUSED/);
    const certificateOutcome = found.get('check:api-certificate')!;
    assert.equal(certificateOutcome.state, 'degraded');
    assert.match(certificateOutcome.message, /not trusted/);
    assert.ok(
      [9, 10].includes(certificateOutcome.figures!.cert_days_left!),
      `${certificateOutcome.figures!.cert_days_left} days left`,
    );

    const components = await onConsole('GET', '/status/components', staff);
    assert.equal(components.statusCode, 200, components.body);
    const byId = new Map(components.json().map((c: { id: string }) => [c.id, c]));
    const broken = byId.get('check:broken-page') as {
      state: string;
      locations: { location: string; message: string }[];
    };
    assert.equal(broken.state, 'major_outage');
    assert.deepEqual(
      broken.locations.map((l) => l.location),
      ['local'],
    );
    assert.ok(byId.has('queue'), "a module's component is put on record as it is first probed");

    const actions = (await platform.staff.auditEntries()).map((entry) => `${entry.actor} ${entry.action}`);
    assert.ok(actions.includes('staff:ops@steadfast.example status.check_added'));
  });

  test(
    'a probe that hangs is a major outage when the round times out, and does not hold up the others',
    { timeout: 30_000 },
    async () => {
      const hanging: Probe = {
        component: { id: 'hangs', name: 'hangs', description: '' },
        check: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      };
      const started = Date.now();
      const results = await status.probeRound([hanging, fakeProbe('quick', () => 'operational')]);
      assert.ok(Date.now() - started < 15_000);
      const outcome = results.find((result) => result.component.id === 'hangs')!.outcome;
      assert.equal(outcome.state, 'major_outage');
      assert.match(outcome.message, /no answer within 10 s/);
    },
  );

  test('two locations disagreeing: the component is degraded, and says where it is seen down', async () => {
    const at = clock.now();
    await status.readings.record('local', [
      { componentId: 'queue', at, outcome: { state: 'major_outage', message: 'refused' } },
    ]);
    await status.readings.record('dc2', [
      { componentId: 'queue', at, outcome: { state: 'operational', message: 'ok' } },
    ]);
    const now = (await status.current()).get('queue')!;
    assert.equal(now.state, 'degraded');
    assert.deepEqual(now.seenDownFrom, ['local']);
    await status.readings.record('dc2', [
      { componentId: 'queue', at, outcome: { state: 'major_outage', message: 'refused' } },
    ]);
    assert.equal((await status.current()).get('queue')!.state, 'major_outage', 'the worst of the minute is kept');
  });
});

describe('uptime', () => {
  test('a month from the minutes measured, with an incident, late maintenance and a gap, rolled up by day', async () => {
    await status.probeRound([fakeProbe('web', () => 'operational')]); // on record from now on
    // April 2027, measured minute by minute for two days by two locations.
    clock.set(new Date('2027-04-01T00:00:00Z'));
    for (let minute = 0; minute < 2 * 24 * 60; minute++) {
      const at = clock.now();
      const down = minute >= 600 && minute < 630; // 10:00 to 10:30 on 1 April, seen from both
      const state: ComponentState = down ? 'major_outage' : 'operational';
      await status.readings.record('local', [{ componentId: 'web', at, outcome: { state, message: state } }]);
      if (minute % 2 === 0)
        await status.readings.record('dc2', [{ componentId: 'web', at, outcome: { state, message: state } }]);
      clock.advance(60_000);
    }
    // Maintenance on 2 April from 02:00 to 03:00, scheduled the day before at 12:00 (14 h ahead).
    clock.set(new Date('2027-04-01T12:00:00Z'));
    await assert.rejects(
      status.maintenance.schedule(
        {
          title: 'Database upgrade',
          components: ['web'],
          startsAt: new Date('2027-04-02T02:00:00Z'),
          endsAt: new Date('2027-04-02T03:00:00Z'),
        },
        'staff:ops@steadfast.example',
      ),
      /less than 24 hours/,
    );
    const late = await status.maintenance.schedule(
      {
        title: 'Database upgrade',
        components: ['web'],
        startsAt: new Date('2027-04-02T02:00:00Z'),
        endsAt: new Date('2027-04-02T03:00:00Z'),
        reason: 'A security fix of PostgreSQL that cannot wait',
      },
      'staff:ops@steadfast.example',
    );
    assert.equal(late.shortNotice, true);
    // A partial outage declared from 20:00 to 20:20 on 2 April, over operational probes.
    clock.set(new Date('2027-04-02T20:00:00Z'));
    const incident = await status.incidents.open(
      { title: 'Slow uploads', message: 'Uploads time out for some', components: { web: 'partial_outage' } },
      'staff:ops@steadfast.example',
    );
    clock.set(new Date('2027-04-02T20:20:00Z'));
    await status.incidents.update(incident.id, { state: 'resolved', message: 'Fixed' }, 'staff:ops@steadfast.example');

    clock.set(new Date('2027-04-03T00:00:00Z'));
    const april = await status.history.uptime(['web'], {
      start: new Date('2027-04-01T00:00:00Z'),
      end: new Date('2027-05-01T00:00:00Z'),
    });
    assert.equal(april.minutes, 2 * 24 * 60, 'the month so far');
    assert.equal(april.majorOutage, 30);
    assert.equal(april.shortNoticeMaintenance, 60);
    assert.equal(april.partialOutage, 20);
    assert.equal(april.downtimeMinutes, 30 + 60 + 0.3 * 20);
    assert.equal(april.availability, 1 - 96 / 2880);

    assert.equal(await status.history.rollUp('2027-04-01'), (await status.components()).length);
    await status.history.rollUp('2027-04-02');
    const history = (await status.history.dailyHistory(90)).get('web')!.filter((d) => d.day.startsWith('2027-04-0'));
    assert.deepEqual(
      history.map((d) => [
        d.day,
        d.figures.minutes,
        d.figures.majorOutage,
        d.figures.shortNoticeMaintenance,
        d.figures.partialOutage,
      ]),
      [
        ['2027-04-01', 1440, 30, 0, 0],
        ['2027-04-02', 1440, 0, 60, 20],
        ['2027-04-03', 0, 0, 0, 0], // today, as far as it has come
      ],
    );

    ({ session: staff } = await staffConsole(app, platform, clock).setUpStaff('ops3@steadfast.example'));
    const report = await onConsole('GET', '/status/uptime?month=2027-04', staff);
    assert.equal(report.statusCode, 200, report.body);
    const budget = report.json().budget.find((row: { target: number }) => row.target === 0.999);
    assert.equal(budget.met, false, `${report.json().downtimeMinutes} minutes of downtime in two days`);
    assert.equal((await onConsole('GET', '/status/uptime?month=2027-13', staff)).statusCode, 400);
  });
});

describe('incidents and maintenance in the console', () => {
  test('only staff reach them, and every change is audited', async () => {
    clock.set(new Date('2027-05-01T09:00:00Z'));
    ({ session: staff } = await staffConsole(app, platform, clock).setUpStaff('ops2@steadfast.example'));
    assert.equal((await onConsole('GET', '/status/incidents')).statusCode, 401);
    const opened = await onConsole('POST', '/status/incidents', staff, {
      title: 'Sign-in fails for some workspaces',
      message: 'We are looking into it.',
      components: { web: 'partial_outage' },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json().id as string;
    const resolved = await onConsole('POST', `/status/incidents/${id}/updates`, staff, {
      state: 'resolved',
      message: 'Fixed at 09:12.',
    });
    assert.equal(resolved.json().state, 'resolved');
    assert.deepEqual(
      resolved.json().updates.map((u: { state: string }) => u.state),
      ['resolved', 'investigating'],
    );
    const again = await onConsole('POST', `/status/incidents/${id}/updates`, staff, {
      state: 'monitoring',
      message: 'x',
    });
    assert.equal(again.statusCode, 409);
    assert.equal(
      (await onConsole('POST', '/status/incidents/999999/updates', staff, { state: 'monitoring', message: 'x' }))
        .statusCode,
      404,
    );

    const scheduled = await onConsole('POST', '/status/maintenance', staff, {
      title: 'Storage move',
      components: ['database'],
      startsAt: '2027-05-03T01:00:00Z',
      endsAt: '2027-05-03T02:00:00Z',
    });
    assert.equal(scheduled.statusCode, 201, scheduled.body);
    assert.equal(scheduled.json().shortNotice, false);
    const soon = await onConsole('POST', '/status/maintenance', staff, {
      title: 'Hotfix',
      components: ['web'],
      startsAt: '2027-05-01T12:00:00Z',
      endsAt: '2027-05-01T12:30:00Z',
    });
    assert.equal(soon.statusCode, 400);
    assert.equal(soon.json().code, 'MAINTENANCE_REASON_REQUIRED');
    const cancelled = await onConsole('POST', `/status/maintenance/${scheduled.json().id}/cancel`, staff);
    assert.ok(cancelled.json().cancelledAt);
    assert.equal((await onConsole('POST', `/status/maintenance/${scheduled.json().id}/end`, staff)).statusCode, 409);

    const actions = (await platform.staff.auditEntries()).map((entry) => `${entry.actor} ${entry.action}`);
    for (const action of [
      'status.incident_opened',
      'status.incident_updated',
      'status.maintenance_scheduled',
      'status.maintenance_cancelled',
    ])
      assert.ok(actions.includes(`staff:ops2@steadfast.example ${action}`), action);
  });
});

describe("a workspace's maintenance", () => {
  test('its people see the windows that affect it from the moment they are scheduled, before signing in', async () => {
    clock.set(new Date('2027-07-01T09:00:00Z'));
    const acme = await buildTenant(platform);
    const globex = await buildTenant(platform);
    const author = 'staff:ops@steadfast.example';
    await status.maintenance.schedule(
      {
        title: 'Everyone: storage move',
        components: ['database'],
        startsAt: new Date('2027-07-03T01:00:00Z'),
        endsAt: new Date('2027-07-03T02:00:00Z'),
      },
      author,
    );
    await status.maintenance.schedule(
      {
        title: 'Acme only: moving its database',
        components: ['database'],
        tenants: [acme.slug],
        startsAt: new Date('2027-07-01T09:30:00Z'),
        endsAt: new Date('2027-07-01T10:00:00Z'),
        reason: 'Acme asked for it today',
      },
      author,
    );
    const seen = async (slug: string) => {
      const response = await app.inject({ url: '/api/v1/maintenance', headers: { host: hostOf(slug) } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as { title: string; underWay: boolean; shortNotice: boolean; reason: string | null }[];
    };
    assert.deepEqual(
      (await seen(acme.slug)).map((w) => `${w.title} ${w.shortNotice} ${w.reason}`),
      ['Acme only: moving its database true Acme asked for it today', 'Everyone: storage move false null'],
    );
    assert.deepEqual(
      (await seen(globex.slug)).map((w) => w.title),
      ['Everyone: storage move'],
    );
    clock.set(new Date('2027-07-01T09:45:00Z'));
    assert.equal((await seen(acme.slug))[0]!.underWay, true, 'under way: the app shows a banner');
    clock.set(new Date('2027-07-03T02:00:00Z'));
    assert.deepEqual(await seen(globex.slug), [], 'over: gone');
  });
});

describe('the status page', () => {
  test('is static files under 100 KB with no script: components with 90 days each, incidents, maintenance, feeds; published when it changes', async () => {
    // Ten minutes of the web app down on 15 June, one location, the rest of that hour fine.
    for (let minute = 0; minute < 60; minute++) {
      const state = minute < 10 ? 'major_outage' : 'operational';
      const at = new Date(Date.parse('2027-06-15T10:00:00Z') + minute * 60_000);
      await status.readings.record('local', [{ componentId: 'web', at, outcome: { state, message: state } }]);
    }
    clock.set(new Date('2027-07-02T12:00:00Z'));
    await status.history.rollUp('2027-06-15');
    await status.incidents.open(
      {
        title: 'Uploads <script>alert(1)</script> fail',
        message: 'Looking into it & more',
        components: { web: 'partial_outage' },
      },
      'staff:ops@steadfast.example',
    );
    const model = await status.pageModel('steadfast.example status', 'https://status.steadfast.example');
    const files = new Map(renderStatusSite(model).map((file) => [file.path, file]));
    const html = files.get('index.html')!.body;
    const weight = Buffer.byteLength(html) + Buffer.byteLength(files.get('style.css')!.body);
    assert.ok(weight < 100_000, `${weight} bytes, the page and its style`);
    assert.doesNotMatch(html, /<script/i, 'no script, and stored text is escaped');
    assert.match(html, /Uploads &lt;script&gt;alert\(1\)&lt;\/script&gt; fail/);
    assert.match(html, /Partial outage/);
    assert.match(html, /Updated 2027-07-02 12:00 UTC/);
    assert.match(html, /Everyone: storage move/, 'platform-wide maintenance is on the public page');
    assert.doesNotMatch(html, /Acme only/, "a workspace's own window is not");
    const publicComponents = model.components.length;
    assert.equal((html.match(/<li class="[a-z]" tabindex="0">/g) ?? []).length, publicComponents * 90);
    assert.match(html, /<li class="x" tabindex="0"><span>2027-06-15: 83\.333 %, 10 minutes major outage<\/span>/);
    assert.match(html, /<li class="n" tabindex="0"><span>2027-04-04: no data<\/span>/, 'the first of the 90 days');

    const atom = files.get('feed.atom')!.body;
    assert.match(atom, /<title>Incident: Uploads &lt;script&gt;/);
    assert.match(atom, /<id>https:\/\/status\.steadfast\.example\/incident-\d+<\/id>/);
    const json = JSON.parse(files.get('feed.json')!.body) as { version: string; items: { title: string }[] };
    assert.equal(json.version, 'https://jsonfeed.org/version/1.1');
    assert.ok(json.items.some((item) => item.title === 'Maintenance: Everyone: storage move'));

    const dir = await mkdtemp(path.join(tmpdir(), 'sf-status-'));
    try {
      const publisher = new StatusPublisher(
        () => status.pageModel('steadfast.example status', undefined),
        [{ name: 'dir', store: new FsStore(dir) }],
      );
      assert.deepEqual(await publisher.tick(0), [{ target: 'dir', ok: true }]);
      assert.match(await readFile(path.join(dir, 'index.html'), 'utf8'), /steadfast\.example status/);
      assert.equal(await publisher.tick(1000), undefined, 'nothing changed: not published again');
      await status.incidents.open(
        { title: 'Slow search', message: 'x', components: { api: 'degraded' } },
        'staff:ops@steadfast.example',
      );
      assert.deepEqual(await publisher.tick(2000), [{ target: 'dir', ok: true }], 'a new incident: published');
      assert.match(await readFile(path.join(dir, 'index.html'), 'utf8'), /Slow search/);
      assert.deepEqual(
        await publisher.tick(2000 + 5 * 60_000),
        [{ target: 'dir', ok: true }],
        'and every five minutes',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('the platform serves the status page itself at status.<base domain>, under its CSP', async () => {
  const get = (url: string) => app.inject({ url, headers: { host: 'status.localhost:8080' } });
  const page = await get('/');
  assert.equal(page.statusCode, 200, page.body);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /<link rel="stylesheet" href="style.css">/);
  assert.match(page.headers['content-security-policy'] as string, /style-src 'self'/);
  assert.match((await get('/style.css')).headers['content-type'] as string, /^text\/css/);
  assert.match((await get('/feed.atom')).body, /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
  const missing = await get('/wp-login.php');
  assert.equal(missing.statusCode, 404);
  assert.match(missing.json().detail, /index.html, style.css, feed.atom, feed.json, trust.html; not/);
});
