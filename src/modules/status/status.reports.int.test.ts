import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { staffConsole, type Session } from '../../../test/helpers/console.js';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import { serviceComponents } from './status.reports.js';

/**
 * Monthly SLA reports on real PostgreSQL: June 2027 measured minute by minute, a platform-wide
 * outage of the database, an incident of one workspace, maintenance of another announced two days
 * ahead; each workspace's month by the published formula, in the console as JSON, CSV and PDF;
 * issued when the month is over and never changed after; and a month past the readings from the
 * daily figures.
 */

const clock = manualClock(new Date('2027-05-20T09:00:00Z'));
const author = 'staff:ops@steadfast.example';
let platform: TestPlatform;
let app: FastifyInstance;
let onConsole: ReturnType<typeof staffConsole>['onConsole'];
let staff: Session;
let acme: string;
let globex: string;
const june = { start: new Date('2027-06-01T00:00:00Z'), end: new Date('2027-07-01T00:00:00Z') };
const juneMinutes = 30 * 24 * 60;

before(async () => {
  platform = await createTestPlatform({}, { clock });
  app = await buildTestApp(platform);
  acme = (await buildTenant(platform, { name: 'Acme Rockets' })).slug;
  globex = (await buildTenant(platform, { name: 'Globex' })).slug;
  // Globex's own maintenance, 2 hours on 10 June, announced on 8 June: removed from its month.
  clock.set(new Date('2027-06-08T09:00:00Z'));
  await platform.status.maintenance.schedule(
    {
      title: 'Moving Globex to faster disks',
      components: [...serviceComponents],
      tenants: [globex],
      startsAt: new Date('2027-06-10T01:00:00Z'),
      endsAt: new Date('2027-06-10T03:00:00Z'),
    },
    author,
  );
  // Acme's incident: its API down for an hour on 15 June.
  clock.set(new Date('2027-06-15T14:00:00Z'));
  const incident = await platform.status.incidents.open(
    { title: 'Acme API errors', message: 'Requests fail', components: { api: 'major_outage' }, tenants: [acme] },
    author,
  );
  clock.set(new Date('2027-06-15T15:00:00Z'));
  await platform.status.incidents.update(incident.id, { state: 'resolved', message: 'Fixed' }, author);
  // Every minute of June measured; the database down from 12:00 to 12:10 on 20 June for everyone.
  await sql`
    INSERT INTO status_readings (component_id, minute, location, state, message, checked_at)
    SELECT c, m, 'local',
           CASE WHEN c = 'database' AND m >= '2027-06-20T12:00:00Z' AND m < '2027-06-20T12:10:00Z'
                THEN 'major_outage' ELSE 'operational' END,
           'measured', m
    FROM unnest(${[...serviceComponents]}::text[]) AS c,
         generate_series('2027-06-01T00:00:00Z'::timestamptz, '2027-06-30T23:59:00Z', interval '1 minute') AS m
  `.execute(platform.db);
  clock.set(new Date('2027-06-30T23:59:30Z'));
  const console = staffConsole(app, platform, clock);
  onConsole = console.onConsole;
  ({ session: staff } = await console.setUpStaff('ops@steadfast.example'));
});
after(async () => {
  await app.close();
  await platform.destroy();
});

interface Row {
  tenant: string;
  availability: number | null;
  downtimeMinutes: number;
  maintenanceMinutes: number;
  incidents: number;
  met: boolean | null;
  issuedAt: string | null;
}

describe('SLA reports', () => {
  test("each workspace's month counts the platform's outages and only its own incidents and maintenance", async () => {
    assert.equal((await onConsole('GET', '/status/reports/2027-06')).statusCode, 401, 'staff only');
    const month = await onConsole('GET', '/status/reports/2027-06', staff);
    assert.equal(month.statusCode, 200, month.body);
    const rows = new Map<string, Row>(month.json().tenants.map((row: Row) => [row.tenant, row]));
    const acmeRow = rows.get(acme)!;
    assert.equal(acmeRow.downtimeMinutes, 10 + 60);
    assert.equal(acmeRow.availability, 1 - 70 / juneMinutes);
    assert.equal(acmeRow.met, false, '70 minutes is over the 43 the 99.9 % target allows');
    assert.equal(acmeRow.incidents, 1);
    assert.equal(acmeRow.issuedAt, null, 'provisional while June is under way');
    const globexRow = rows.get(globex)!;
    assert.equal(globexRow.downtimeMinutes, 10);
    assert.equal(globexRow.maintenanceMinutes, 120);
    assert.equal(globexRow.availability, 1 - 10 / (juneMinutes - 120));
    assert.equal(globexRow.met, true);
    assert.equal(globexRow.incidents, 0);

    const detail = await onConsole('GET', `/status/reports/2027-06/${acme}`, staff);
    assert.equal(detail.statusCode, 200, detail.body);
    assert.deepEqual(
      detail.json().incidents.map((incident: { title: string; impact: string }) => [incident.title, incident.impact]),
      [['Acme API errors', 'major_outage']],
    );
    const budget = detail.json().budget as { target: number; allowedMinutes: number; met: boolean }[];
    assert.deepEqual(
      budget.map((row) => row.target),
      [0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999],
    );
    assert.ok(budget.find((row) => row.target === 0.99)!.met);
    assert.ok(!budget.find((row) => row.target === 0.999)!.met);

    assert.equal((await onConsole('GET', '/status/reports/2027-06/no-such-workspace', staff)).statusCode, 404);
    assert.equal((await onConsole('GET', '/status/reports/2027-13', staff)).statusCode, 400);
    const future = await onConsole('GET', '/status/reports/2027-08', staff);
    assert.equal(future.statusCode, 400);
    assert.match(future.json().detail, /has not begun/);
  });

  test('CSV has a row per workspace, and the PDF is a document', async () => {
    const csv = await onConsole('GET', '/status/reports/2027-06?format=csv', staff);
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.headers['content-disposition'] as string, /attachment; filename="sla-2027-06\.csv"/);
    const [header, ...lines] = csv.body.trimEnd().split('\r\n');
    const columns = header!.split(',');
    const acmeLine = lines
      .map((line) => line.split(','))
      .find((cells) => cells[columns.indexOf('workspace')] === acme)!;
    assert.equal(acmeLine[columns.indexOf('name')], 'Acme Rockets');
    assert.equal(acmeLine[columns.indexOf('downtime_minutes')], '70');
    assert.equal(acmeLine[columns.indexOf('met')], 'missed');
    assert.equal(acmeLine[columns.indexOf('issued_at')], 'provisional');

    const tenantCsv = await onConsole('GET', `/status/reports/2027-06/${globex}?format=csv`, staff);
    assert.equal(tenantCsv.body.trimEnd().split('\r\n').length, 1 + 6, 'a row per budget target');

    const pdf = await onConsole('GET', `/status/reports/2027-06/${acme}?format=pdf`, staff);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.match(pdf.rawPayload.subarray(-8).toString(), /%%EOF/);
  });

  test('a month is issued once it is over and stays as issued', async () => {
    clock.set(new Date('2027-07-01T00:10:00Z'));
    const upkeep = await platform.status.dailyUpkeep();
    assert.equal(upkeep.reportsIssued, 2);
    assert.equal((await platform.status.dailyUpkeep()).reportsIssued, 0, 'once');
    // An incident recorded afterwards against June does not change what was issued.
    await platform.status.incidents.open(
      {
        title: 'Found later',
        message: 'Seen in the logs',
        components: { web: 'major_outage' },
        startedAt: new Date('2027-06-25T00:00:00Z'),
      },
      author,
    );
    const issued = await onConsole('GET', `/status/reports/2027-06/${globex}`, staff);
    assert.equal(issued.json().downtimeMinutes, 10);
    assert.equal(issued.json().issuedAt, '2027-07-01T00:10:00.000Z');
  });

  test('a month older than the readings counts each day as its worst component from the daily figures', async () => {
    clock.set(new Date('2027-07-01T01:00:00Z'));
    // The components on record, as the probes put them there.
    await platform.status.probeRound(
      serviceComponents.map((id) => ({
        component: { id, name: id, description: id },
        check: async () => ({ state: 'operational' as const, message: 'ok' }),
      })),
    );
    for (let day = 1; day <= 30; day++) await platform.status.history.rollUp(`2027-06-${String(day).padStart(2, '0')}`);
    clock.set(new Date('2027-08-20T00:00:00Z'));
    const figures = await platform.status.history.uptime(serviceComponents, june);
    assert.equal(figures.minutes, juneMinutes);
    // The database's 10 minutes (platform-wide), and the web outage found later (from 25 June on, still open).
    assert.equal(figures.majorOutage, 10 + 6 * 24 * 60);
    assert.equal(figures.noData, 0);
  });
});
