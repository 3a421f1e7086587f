import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { evidenceOf } from '../src/app/http.js';
import { recordDrill } from '../src/modules/backup/index.js';
import { recordFailoverDrill } from '../src/modules/replication/index.js';
import { publicFileMode, publishSite, renderStatusSite } from '../src/modules/status/index.js';
import { manualClock } from '../src/platform/clock/clock.js';
import { FsStore } from '../src/platform/storage/fs-store.js';
import { assertAccessible, launchBrowser } from './helpers/browser.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/** The public status page as published (static files), in Debian's Chromium: read without JavaScript, scanned by axe-core. */

const clock = manualClock(new Date('2027-03-01T10:00:00Z'));
let platform: TestPlatform;
let browser: Browser;
let dir: string;

before(async () => {
  platform = await createTestPlatform({}, { clock });
  browser = await launchBrowser();
  dir = await mkdtemp(path.join(tmpdir(), 'sf-status-page-'));
  const { status } = platform;
  // Two days of the web app and the database, measured every fifth minute; four of the web app's measured minutes down.
  const database = { id: 'database', name: 'Database', description: 'The PostgreSQL primary' };
  await status.probeRound([{ component: database, check: async () => ({ state: 'operational', message: 'ok' }) }]);
  clock.set(new Date('2027-02-27T00:00:00Z'));
  for (let minute = 0; minute < 2 * 24 * 60; minute += 5) {
    const at = new Date(clock.now().getTime() + minute * 60_000);
    const web = minute >= 600 && minute < 620 ? 'major_outage' : 'operational';
    await status.readings.record('local', [
      { componentId: 'web', at, outcome: { state: web, message: web } },
      { componentId: 'database', at, outcome: { state: 'operational', message: 'ok' } },
    ]);
  }
  await status.acceptReport('local', []); // puts the web app and API on record
  clock.set(new Date('2027-03-01T10:00:00Z'));
  for (const day of ['2027-02-27', '2027-02-28']) await status.history.rollUp(day);
  await status.incidents.open(
    { title: 'Slow sign-in', message: 'Sign-in takes 10 s for some people.', components: { web: 'degraded' } },
    'staff:ops@steadfast.example',
  );
  await status.maintenance.schedule(
    {
      title: 'Database upgrade',
      components: ['database'],
      startsAt: new Date('2027-03-05T01:00:00Z'),
      endsAt: new Date('2027-03-05T02:00:00Z'),
    },
    'staff:ops@steadfast.example',
  );
  // What the trust page shows: last night's restore drill, a failover drill 40 days ago, a standby's lag.
  await recordDrill(platform.db, {
    startedAt: '2027-03-01T02:00:00.000Z',
    finishedAt: '2027-03-01T02:01:12.000Z',
    passed: true,
    backupId: '20270301T010000Z',
    restoredBytes: 2.5 * 1024 ** 3,
    durationSeconds: 72,
    rpoSeconds: 0.8,
    compared: 3,
    changed: [],
    amcheck: { databases: 4, indexes: 40, tables: 30 },
    problems: [],
  });
  await recordFailoverDrill(platform.db, {
    mode: 'sync',
    startedAt: new Date('2027-01-20T10:00:00Z'),
    finishedAt: new Date('2027-01-20T10:05:00Z'),
    passed: true,
    trials: [{}],
    acknowledged: 900,
    lost: 0,
    rpoP99Ms: 0,
    rtoP99Seconds: 6.4,
    rtoMaxSeconds: 6.4,
    problems: [],
  });
  for (let minute = 0; minute < 100; minute++)
    await status.readings.record('local', [
      {
        componentId: 'standby:dc2',
        at: new Date(clock.now().getTime() - (100 - minute) * 60_000),
        outcome: {
          state: 'operational',
          message: 'streaming',
          figures: { lag_seconds: minute === 50 || minute === 51 ? 4 : 0.02 },
        },
      },
    ]);
  const model = await status.pageModel('steadfast.example status', undefined, evidenceOf(platform));
  const results = await publishSite(renderStatusSite(model), [
    { name: 'dir', store: new FsStore(dir, publicFileMode) },
  ]);
  assert.deepEqual(results, [{ target: 'dir', ok: true }]);
});
after(async () => {
  await browser?.close();
  await platform.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** An axe-core scan of a published file, at desktop width, scripts allowed (axe runs as one). */
async function scanPublished(file: string, what: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`file://${file}`);
    await assertAccessible(page, what);
  } finally {
    await context.close();
  }
}

test('the page reads without JavaScript: state, incidents, maintenance, and each day of the bars by keyboard', async () => {
  const file = path.join(dir, 'index.html');
  assert.ok((await stat(file)).size < 100_000);
  assert.equal((await stat(file)).mode & 0o777, 0o644, 'a web server can read it');
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  try {
    const page = await context.newPage();
    await page.goto(`file://${file}`);
    await page.getByRole('heading', { name: 'steadfast.example status', level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Degraded performance' }).waitFor();
    await page.getByRole('heading', { name: 'Slow sign-in' }).waitFor();
    await page.getByRole('heading', { name: 'Database upgrade' }).waitFor();
    const bars = page.getByRole('list', { name: /the last 90 days/ });
    assert.equal(await bars.count(), 3, 'the web app, the API and the database');
    // Keyboard: tab into the web app's bar; each day says what it was in words.
    const webDays = page
      .getByRole('list', { name: 'Web app, the last 90 days, one entry a day' })
      .getByRole('listitem');
    assert.equal(await webDays.count(), 90);
    const outageDay = webDays.filter({ hasText: '2027-02-27' });
    await outageDay.focus();
    assert.match((await outageDay.textContent()) ?? '', /2027-02-27: 98\.611 %, 4 minutes major outage/);
    assert.match(
      (await page.locator('ol.bar li:focus').textContent()) ?? '',
      /^2027-02-27: /,
      'the day has keyboard focus',
    );
    assert.equal(await page.locator('script').count(), 0);
  } finally {
    await context.close();
  }
  await scanPublished(file, 'the status page');
});

test('the trust page reads without JavaScript: each figure dated, an old one marked stale in words', async () => {
  const file = path.join(dir, 'trust.html');
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  try {
    const page = await context.newPage();
    await page.goto(`file://${path.join(dir, 'index.html')}`);
    await page.getByRole('link', { name: 'Backups and recovery, measured' }).click();
    await page.getByRole('heading', { name: 'Backups and recovery, measured', level: 1 }).waitFor();
    assert.equal(page.url(), `file://${file}`);
    const figure = (label: string) =>
      page.locator('article').filter({ has: page.getByRole('heading', { name: label }) });
    const restore = figure('Last verified restore');
    assert.match(
      (await restore.textContent()) ?? '',
      /Passed: 2\.5 GB restored and checked in 72 s\.Measured 2027-03-01 02:01 UTC \(8 hours ago\)\./,
    );
    assert.match(
      (await figure('Recovery point if the data centre is lost (RPO)').textContent()) ?? '',
      /0\.8 s of writes at most/,
    );
    const failover = figure('Stale Failover to a standby (sync replication)');
    assert.match(
      (await failover.textContent()) ?? '',
      /writes accepted again within 6\.4 s \(p99\); no acknowledged write lost\..*Stale: measured 2027-01-20 10:05 UTC \(40 days ago\), but it is promised every 31 days/,
    );
    assert.match((await figure('Replication lag of dc2 now').textContent()) ?? '', /0\.02 s behind the primary/);
    assert.match(
      (await figure('Replication lag of dc2, 30-day p99').textContent()) ?? '',
      /^[^.]*4 s \(99 % of 100 minutes measured/,
    );
    assert.equal(await page.locator('script').count(), 0);
  } finally {
    await context.close();
  }
  await scanPublished(file, 'the trust page');
});
