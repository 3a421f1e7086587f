import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pollUntil } from '../src/platform/clock/clock.js';
import type { ProbeOutcome } from '../src/platform/probes.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { assertAccessible, launchBrowser } from './helpers/browser.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * The staff console's monitoring screens in Debian's Chromium, against the real server over real
 * HTTP: components and an operator's check, a probe location's token shown once, incidents (a
 * draft an alert opened, a timeline of updates), maintenance at short notice, alert rules and a
 * webhook's secret, and the monthly SLA report. Every screen is scanned by axe-core, and none is
 * wider than a 390 px phone.
 */

const staffPassword = 'lantern quietly orbit marmalade 7';
const staffEmail = 'robin@steadfast.example';
let platform: TestPlatform;
let app: FastifyInstance;
let browser: Browser;
let port: number;
let consoleOrigin: string;
/** The member of staff's browser, signed in from `before` on. */
let staff: { context: BrowserContext; page: Page };

/** A probe that answers what it is told: the platform's own components as the screens show them. */
const fixed = (id: string, name: string, outcome: ProbeOutcome) => ({
  component: { id, name, description: `The ${name.toLowerCase()}` },
  check: async () => outcome,
});

before(async () => {
  port = await findFreePort();
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { publicPort: port });
  app = await buildTestApp(platform);
  await app.listen({ host: '127.0.0.1', port });
  consoleOrigin = `http://console.localhost:${port}`;
  await buildTenant(platform, { name: 'Acme Rockets' });
  await buildTenant(platform, { name: 'Globex' });
  await platform.status.probeRound([
    fixed('web', 'Web app', { state: 'operational', responseMs: 42, message: 'HTTP 200 in 42 ms' }),
    fixed('api', 'API', { state: 'operational', responseMs: 38, message: 'HTTP 200 in 38 ms' }),
    fixed('database', 'Database', { state: 'degraded', message: 'replay lag 14.2 s (over 10 s)' }),
  ]);
  browser = await launchBrowser();
  staff = await signedInStaff();
});
after(async () => {
  await staff?.context.close();
  await browser?.close();
  await app?.close();
  await platform?.destroy();
});

/** A member of staff set up from the operator's link in a fresh browser, on the console's home. */
async function signedInStaff(): Promise<{ context: BrowserContext; page: Page }> {
  const { link } = await platform.staff.create({ email: staffEmail, name: 'Robin Ops' }, 'operator:test');
  // Not UTC, and with a half-hour offset: the maintenance form's conversion to UTC is seen to work.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Kolkata' });
  const page = await context.newPage();
  await page.goto(link);
  const secret = (await page.getByLabel('Key to type into the app').textContent())!.replace(/\s/g, '');
  await page.getByLabel('New password').fill(staffPassword);
  await page.getByLabel('The same password again').fill(staffPassword);
  await page.getByLabel('Code from the app').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) }));
  await page.getByRole('button', { name: 'Finish setup' }).click();
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
  return { context, page };
}

/** Goes to a section by the console's navigation, which marks it current. */
async function openSection(page: Page, name: string, heading: string | RegExp): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Console sections' });
  await nav.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  assert.equal(await nav.getByRole('link', { name, exact: true }).getAttribute('aria-current'), 'page');
  assert.equal(await nav.locator('[aria-current="page"]').count(), 1, 'one section is current');
}

/** A probe runner's call with a location's token, on the platform's host. */
const planWith = (token: string) =>
  app.inject({
    method: 'GET',
    url: '/api/v1/probe/plan',
    headers: { host: `localhost:${port}`, authorization: `Bearer ${token}` },
  });

/** `iso` as a `datetime-local` value in the browser's own time zone (what a person types). */
const localValueOf = (page: Page, iso: string) =>
  page.evaluate((at) => {
    // No functions inside: the test's compiler would name them with a helper the page lacks.
    const date = new Date(at);
    const [month, day, hours, minutes] = [date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes()].map(
      (n) => String(n).padStart(2, '0'),
    );
    return `${date.getFullYear()}-${month}-${day}T${hours}:${minutes}`;
  }, iso);

/** A GET in the signed-in browser (its cookie, its host mapping): the status and type of the answer. */
const download = (page: Page, href: string) =>
  page.evaluate(async (url) => {
    const answer = await fetch(url);
    return { status: answer.status, type: answer.headers.get('content-type') ?? '', size: (await answer.blob()).size };
  }, href);

describe('the console’s monitoring screens in Chromium', () => {
  test('status lists each component’s state in words; an HTTP check is added and listed, a TCP check without a port is refused', async () => {
    const { page } = staff;
    await openSection(page, 'Status', 'Status');
    const database = page.getByRole('row', { name: /Database/ });
    await database.getByText('Degraded performance').waitFor();
    await database.getByText('replay lag 14.2 s (over 10 s)').waitFor();
    const web = page.getByRole('row', { name: /Web app/ });
    await web.getByText('Operational', { exact: true }).waitFor();
    await web.getByRole('cell', { name: '42 ms', exact: true }).waitFor();
    await page.getByRole('status').getByText('1 component needs attention').waitFor();
    await assertAccessible(page, 'console status');

    const form = page.getByRole('region', { name: 'Add a check' });
    await form.getByLabel('Name').fill('Marketing site');
    await form.getByRole('textbox', { name: 'URL' }).fill('https://www.example.com/health');
    await form.getByLabel('Expected status (optional)').fill('200');
    await form.getByLabel('Keyword (optional)').fill('Welcome');
    await form.getByRole('button', { name: 'Add check' }).click();
    await form.getByRole('status').getByText('Added the check “Marketing site”').waitFor();
    const added = page.getByRole('row', { name: /Marketing site/ });
    await added.getByText('HTTP https://www.example.com/health, expects 200, with “Welcome”').waitFor();
    await added.getByText('No reading yet').waitFor();
    const check = (await platform.status.components()).find((component) => component.id === 'check:marketing-site');
    assert.deepEqual(check?.target, { url: 'https://www.example.com/health', expectStatus: 200, keyword: 'Welcome' });

    await form.getByLabel('TCP').check();
    await form.getByLabel('Name').fill('Mail relay');
    await form.getByRole('textbox', { name: 'Host' }).fill('mail.example.com');
    await form.getByRole('button', { name: 'Add check' }).click();
    await form.getByRole('alert').getByText('A TCP check needs a port.').waitFor();
    await assertAccessible(page, 'console status with a refused check');
  });

  test('a probe location’s token is shown once with the runner’s command, works, and stops working once revoked', async () => {
    const { page } = staff;
    const section = page.getByRole('region', { name: 'Probe locations' });
    await section.getByLabel('New location').fill('eu-west');
    await section.getByRole('button', { name: 'Add location' }).click();
    const once = section.getByRole('region', { name: 'Token for eu-west' });
    await once.getByText('Shown once.').waitFor();
    const token = (await once.getByRole('figure', { name: 'Token' }).locator('code').textContent())!;
    assert.match(token, /^sfprobe_/);
    const command = await once.getByRole('figure', { name: 'Command' }).locator('code').textContent();
    assert.equal(command, `STEADFAST_PROBE_TOKEN=${token} steadfast probe --report-to http://localhost:${port}`);
    await assertAccessible(page, 'console probe location token');
    assert.equal((await planWith(token)).statusCode, 200, 'the runner may read its plan');

    await once.getByRole('button', { name: 'I have saved it' }).click();
    await once.waitFor({ state: 'detached' });
    await page.reload();
    const row = section.getByRole('row', { name: /eu-west/ });
    await row.getByText('Active').waitFor();
    assert.equal(await page.getByText(token).count(), 0, 'the token is nowhere on the page again');

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke eu-west' }).click();
    await row.getByText('Revoked').waitFor();
    assert.equal((await planWith(token)).statusCode, 401, 'the revoked token is refused');
  });

  test('a draft an alert opened is shown first and published; an incident opened and resolved shows its timeline, newest first', async () => {
    const { page } = staff;
    await platform.status.incidents.open(
      {
        title: 'Web app is down',
        message: 'Opened by an alert, not yet confirmed: Web app is down (major outage)',
        components: { web: 'major_outage' },
        draft: true,
        alertKey: 'component_down:web',
      },
      'system:alerts',
    );
    await openSection(page, 'Incidents', 'Incidents');
    const drafts = page.getByRole('region', { name: 'Drafts from alerts (1)' });
    await drafts.getByText('Opened by an alert – confirm to publish.').waitFor();
    await drafts.getByRole('article', { name: 'Web app is down' }).getByText('Major outage', { exact: true }).waitFor();
    await assertAccessible(page, 'console incidents with a draft');
    await drafts.getByRole('button', { name: 'Confirm and publish Web app is down' }).click();
    await page.getByRole('status').getByText('Published “Web app is down” on the status page.').waitFor();
    await drafts.waitFor({ state: 'detached' });
    const underWay = page.getByRole('region', { name: 'Under way' });
    await underWay.getByRole('article', { name: 'Web app is down' }).waitFor();

    await page.getByRole('button', { name: 'Open an incident' }).click();
    const form = page.getByRole('region', { name: 'Open an incident' });
    await form.getByLabel('Title').fill('Sign-in is slow');
    await form.getByLabel('Status').selectOption('identified');
    await form.getByLabel('Message').fill('Sign-in takes 10 s for some people: a cache node is overloaded.');
    await form.getByLabel('API').selectOption('degraded');
    await assertAccessible(page, 'console open an incident');
    await form.getByRole('button', { name: 'Open incident' }).click();
    const incident = underWay.getByRole('article', { name: 'Sign-in is slow' });
    await incident.getByText('Identified', { exact: true }).first().waitFor();
    await incident.getByText('Degraded performance').waitFor();

    await incident.getByRole('button', { name: 'Post an update to Sign-in is slow' }).click();
    const update = incident.getByRole('form', { name: 'Post an update to Sign-in is slow' });
    await update.getByLabel('Status').selectOption('resolved');
    await update.getByLabel('Update').fill('The cache node was replaced; sign-in is fast again.');
    await update.getByRole('button', { name: 'Post update' }).click();
    const resolved = page.getByRole('region', { name: 'Resolved' }).getByRole('article', { name: 'Sign-in is slow' });
    await resolved.getByText('Timeline (2 updates)').click();
    const entries = resolved.getByRole('list', { name: 'Updates to Sign-in is slow' }).getByRole('listitem');
    assert.equal(await entries.count(), 2);
    assert.match((await entries.nth(0).textContent())!, /^Resolved.*The cache node was replaced/);
    assert.match((await entries.nth(1).textContent())!, /^Identified.*a cache node is overloaded/);
    assert.match((await entries.nth(0).textContent())!, new RegExp(`by ${staffEmail}`));
    await assertAccessible(page, 'console incidents with a timeline');
  });

  test('maintenance starting within 24 hours is refused without a reason, then scheduled (in UTC) with the Short notice label', async () => {
    const { page } = staff;
    await openSection(page, 'Maintenance', 'Maintenance');
    const startsAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 3_600_000);
    const endsAt = new Date(startsAt.getTime() + 3_600_000);
    const form = page.getByRole('region', { name: 'Schedule maintenance' });
    await form.getByLabel('Title').fill('Emergency database patch');
    await form.getByLabel('Starts').fill(await localValueOf(page, startsAt.toISOString()));
    await form.getByLabel('Ends').fill(await localValueOf(page, endsAt.toISOString()));
    await form.getByLabel('Database').check();
    await form
      .getByText(/Times are in your time zone, Asia\/(Kolkata|Calcutta) \(UTC\+05:30\), and are stored in UTC/)
      .waitFor();
    await form.getByRole('button', { name: 'Schedule maintenance' }).click();
    await form.getByText('This window starts within 24 hours, so it is short notice').waitFor();
    assert.equal(await form.getByLabel('Reason for short notice').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'console maintenance refused');
    const before = await platform.status.maintenance.overlapping({ start: new Date(0), end: new Date(8.64e15) });
    assert.equal(before.length, 0, 'nothing was scheduled');

    await form.getByLabel('Reason for short notice').fill('A security fix for the database that cannot wait');
    await form.getByRole('button', { name: 'Schedule maintenance' }).click();
    const card = page.getByRole('region', { name: 'Under way and ahead' }).getByRole('article', {
      name: 'Emergency database patch',
    });
    await card.getByText('Short notice', { exact: true }).waitFor();
    await card.getByText('A security fix for the database that cannot wait').waitFor();
    await card.getByText('Scheduled', { exact: true }).waitFor();
    const [window] = await platform.status.maintenance.overlapping({ start: new Date(0), end: new Date(8.64e15) });
    assert.equal(window?.startsAt.toISOString(), startsAt.toISOString(), 'the wall-clock time went out as UTC');
    assert.equal(window?.endsAt.toISOString(), endsAt.toISOString());
    assert.equal(window?.shortNotice, true);
    assert.equal(window?.tenants, undefined, 'the whole platform');
    await assertAccessible(page, 'console maintenance scheduled');

    page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Cancel window Emergency database patch' }).click();
    await page.getByRole('status').getByText('Cancelled “Emergency database patch”.').waitFor();
    await card.waitFor({ state: 'detached' });
    const [cancelled] = await platform.status.maintenance.overlapping({ start: new Date(0), end: new Date(8.64e15) });
    assert.equal(cancelled, undefined, 'a cancelled window is no longer scheduled');
  });

  test('an alert rule is turned off and stays off; a webhook channel’s signing secret is shown once', async () => {
    const { page } = staff;
    await openSection(page, 'Alerts', 'Alerts');
    await page.getByRole('status').getByText('Nothing is firing').waitFor();
    const toggle = page.getByRole('checkbox', { name: 'Enabled for Disk over 85 % used' });
    assert.equal(await toggle.isChecked(), true);
    await toggle.uncheck();
    await pollUntil(
      async () => (await platform.alerts.rules()).find((rule) => rule.id === 'disk_usage')?.enabled === false,
      { timeoutMs: 10_000, timeoutError: () => new Error('the rule was not turned off on the server') },
    );
    await page.reload();
    await page.getByRole('row', { name: /Disk over 85 % used/ }).waitFor();
    assert.equal(await toggle.isChecked(), false, 'still off after a reload');

    await page.getByRole('button', { name: 'Edit Replication lag over 10 s' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit “Replication lag over 10 s”' });
    await dialog.getByLabel(/Threshold/).fill('30');
    await dialog.getByLabel('Checks in a row').fill('3');
    await assertAccessible(page, 'console edit alert rule');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('row', { name: /Replication lag/ })
      .getByText('lag_seconds > 30')
      .waitFor();

    const channels = page.getByRole('region', { name: 'Channels' });
    await channels.getByLabel('Webhook').check();
    await channels.getByLabel('Name').fill('pager');
    await channels.getByLabel('Webhook URL').fill('https://hooks.example.com/steadfast');
    await channels.getByRole('button', { name: 'Add channel' }).click();
    const once = channels.getByRole('region', { name: 'Signing secret for pager' });
    assert.match((await once.getByRole('figure', { name: 'Signing secret' }).textContent())!, /whsec_/);
    await channels.getByRole('row', { name: /pager/ }).getByText('https://hooks.example.com/steadfast').waitFor();
    await assertAccessible(page, 'console alerts with a secret');
    await once.getByRole('button', { name: 'I have saved it' }).click();
    await once.waitFor({ state: 'detached' });
  });

  test('the SLA report opens on the last full month, moves by month, and opens a workspace with its budget and downloads', async () => {
    const { page } = staff;
    await openSection(page, 'Reports', /^SLA report: /);
    const now = new Date();
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    const current = now.toISOString().slice(0, 7);
    assert.equal(new URL(page.url()).pathname, `/reports/${last}`);
    await page.getByRole('row', { name: /Acme Rockets/ }).waitFor();
    await page.getByRole('row', { name: /Globex/ }).waitFor();
    await assertAccessible(page, 'console SLA report');

    await page.getByRole('button', { name: 'Next month' }).click();
    await page.waitForURL(`${consoleOrigin}/reports/${current}`);
    assert.equal(await page.getByRole('button', { name: 'Next month' }).isDisabled(), true, 'no month after this one');
    const acme = page.getByRole('row', { name: /Acme Rockets/ });
    await acme.getByText(/^(\d{1,3}\.\d{3} %|No data)$/).waitFor();
    await acme.getByRole('link', { name: 'Acme Rockets' }).click();
    await page.getByRole('heading', { name: /^Acme Rockets: /, level: 1 }).waitFor();
    await page
      .getByRole('region', { name: 'Downtime budget' })
      .getByRole('row', { name: /99\.9 %/ })
      .waitFor();
    await page.getByRole('region', { name: 'Incidents' }).waitFor();
    await assertAccessible(page, 'console SLA report of a workspace');
    for (const format of ['csv', 'pdf']) {
      const link = page.getByRole('link', { name: new RegExp(`^Download ${format.toUpperCase()}`) });
      assert.equal(await link.getAttribute('download'), '');
      const answer = await download(page, (await link.getAttribute('href'))!);
      assert.equal(answer.status, 200, format);
      assert.match(answer.type, format === 'csv' ? /^text\/csv/ : /^application\/pdf/);
      assert.ok(answer.size > 0, `${format} has content`);
    }
  });

  test('on a 390 px phone every screen fits the width, and every section’s link is on screen', async () => {
    await staff.page.setViewportSize({ width: 390, height: 844 });
    const { page } = staff;
    for (const path of ['/', '/status', '/incidents', '/maintenance', '/alerts', '/reports']) {
      await page.goto(`${consoleOrigin}${path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 390, `${path} is ${width} px wide on a 390 px phone`);
      for (const link of await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link').all()) {
        const box = (await link.boundingBox())!;
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `${await link.textContent()} is off screen on ${path}`);
      }
    }
    await assertAccessible(page, 'console reports on a phone');
  });
});
