import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, launchBrowser, signInBrowsers } from './helpers/browser.js';
import { fixturePassword, workFixture, type WorkFixture } from './helpers/work.js';

/**
 * Notifications and repeating tasks in Debian's Chromium, against the real server over real HTTP:
 * the bell counting what another person did (made through the API), a notification opening its
 * task and read on the way, "Mark all read", the full page paged by cursor and on a phone, the
 * email digest setting, and a weekly repeat set, refused, shown to a viewer and stopped.
 */

type Person = 'olive' | 'max' | 'vic';
let fixture: WorkFixture<Person>;
let browser: Browser;
let browsers: ReturnType<typeof signInBrowsers>;
let origin: string;
let sessions: WorkFixture<Person>['people'];
/** Olive, the workspace owner, who is told of what Max does; one tab for most of the file. */
let olive: Page;
const call: WorkFixture<Person>['call'] = (...args) => fixture.call(...args);
const ok: WorkFixture<Person>['ok'] = (...args) => fixture.ok(...args);
const signedIn = (email: string, name: string, viewport?: { width: number; height: number }) =>
  browsers.signedIn(email, name, viewport);

/** Max changes a task's assignees (with the version he read, as the app does). */
async function assign(key: string, ids: string[]): Promise<void> {
  const read = await call('max', 'GET', `/tasks/${key}`);
  await ok(call('max', 'PATCH', `/tasks/${key}`, { assigneeIds: ids }, { 'if-match': read.headers.etag as string }));
}

const comment = (key: string, body: string) =>
  ok(call('max', 'POST', `/tasks/${key}/comments`, { body }, { 'idempotency-key': randomUUID() }), 201);

before(async () => {
  fixture = await workFixture(
    {
      olive: { role: 'owner', name: 'Olive Owner' },
      max: { role: 'member', name: 'Max Member' },
      vic: { role: 'member', name: 'Vic Viewer' },
    },
    { listen: true, workspaceName: 'Acme Rockets' },
  );
  ({ origin, people: sessions } = fixture);
  await ok(call('olive', 'POST', '/projects', { key: 'ROCK', name: 'Rockets' }), 201);
  await ok(call('olive', 'PUT', `/projects/ROCK/members/${sessions.max.id}`, { role: 'member' }));
  await ok(call('olive', 'PUT', `/projects/ROCK/members/${sessions.vic.id}`, { role: 'viewer' }));
  for (const title of ['Fuel the booster', 'Check the weather', 'Count down'])
    await ok(call('olive', 'POST', '/projects/ROCK/tasks', { title }, { 'idempotency-key': randomUUID() }), 201);
  browser = await launchBrowser();
  browsers = signInBrowsers(browser, origin, fixturePassword);
  olive = await signedIn('olive@example.com', 'Olive Owner');
});
after(async () => {
  await browsers?.close();
  await browser?.close();
  await fixture?.close();
});

const bell = (page: Page) => page.getByRole('button', { name: /^Notifications, / });
/** Tells the page its window got focus again, as coming back to the tab does (the bell asks then). */
const focusWindow = (page: Page) => page.evaluate("window.dispatchEvent(new Event('focus'))");
/** Whether the page is wider than the window. */
const overflows = (page: Page) =>
  page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');

describe('notifications and repeating tasks in Chromium', () => {
  test('the bell counts what another person did; a notification opens its task and is read, and "Mark all read" clears the rest', async () => {
    await bell(olive)
      .and(olive.getByRole('button', { name: 'Notifications, none unread' }))
      .waitFor();
    await assign('ROCK-1', [sessions.olive.id]);
    await comment('ROCK-2', '@olive is the weather good enough?');
    await focusWindow(olive);
    await olive.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor();
    assert.equal(await olive.locator('.bell-count').innerText(), '2');

    await bell(olive).click();
    const panel = olive.getByRole('dialog', { name: 'Notifications' });
    const assigned = panel.getByRole('link', { name: /^Unread: Max Member assigned you ROCK-1 "Fuel the booster"/ });
    await assigned.waitFor();
    await panel
      .getByRole('link', { name: /^Unread: Max Member mentioned you on ROCK-2 "Check the weather"/ })
      .waitFor();
    await panel.getByText('@olive is the weather good enough?').waitFor();
    await assertAccessible(olive, 'notifications panel');
    await olive.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    assert.equal(await bell(olive).evaluate((node) => node === node.ownerDocument.activeElement), true);

    await bell(olive).click();
    await assigned.click();
    await olive.waitForURL(/\/projects\/ROCK\/tasks\/ROCK-1$/);
    await olive.getByRole('heading', { name: 'Fuel the booster', level: 1 }).waitFor();
    await olive.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();

    await bell(olive).click();
    await panel.getByRole('link', { name: /^Max Member assigned you ROCK-1/ }).waitFor();
    await panel.getByRole('button', { name: 'Mark all read' }).click();
    await olive.getByRole('button', { name: 'Notifications, none unread' }).waitFor();
    await panel.getByRole('link', { name: /^Max Member mentioned you on ROCK-2/ }).waitFor();
    assert.equal(await panel.getByRole('link', { name: /^Unread:/ }).count(), 0);
    assert.equal(await olive.locator('.bell-count').count(), 0);
  });

  test('the notifications page lists the unread and all, pages on with "Load more", and marks one read', async () => {
    for (let n = 1; n <= 31; n++) await comment('ROCK-3', `@olive check ${n}`);
    await olive.goto(`${origin}/notifications`);
    await olive.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const list = olive.getByRole('list', { name: 'Unread notifications' });
    await list.getByRole('listitem').nth(29).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 30, 'a page of 30');
    await olive.getByRole('link', { name: 'Unread (31)' }).waitFor();
    await assertAccessible(olive, 'notifications page');
    await olive.getByRole('button', { name: 'Load more' }).click();
    await list.getByRole('listitem').nth(30).waitFor();
    await olive.getByText('@olive check 1', { exact: true }).waitFor();
    assert.equal(await olive.getByRole('button', { name: 'Load more' }).count(), 0);

    await olive
      .getByRole('button', { name: /^Mark read: Max Member mentioned you on ROCK-3/ })
      .first()
      .click();
    await olive.getByRole('button', { name: 'Notifications, 30 unread' }).waitFor();
    assert.equal(await list.getByRole('listitem').count(), 30, 'the one read leaves the unread list');

    await olive.getByRole('link', { name: 'All', exact: true }).click();
    await olive.waitForURL(/show=all/);
    const all = olive.getByRole('list', { name: 'All notifications' });
    await all.getByRole('listitem').nth(29).waitFor();
    assert.equal(
      await all.getByRole('link', { name: /^Max Member assigned you ROCK-1/ }).count(),
      0,
      'the oldest is on page 2',
    );
    await olive.getByRole('button', { name: 'Load more' }).click();
    await all.getByRole('link', { name: /^Max Member assigned you ROCK-1/ }).waitFor();

    await olive.getByRole('button', { name: 'Mark all read' }).click();
    await olive.getByRole('button', { name: 'Notifications, none unread' }).waitFor();
    await olive.getByRole('link', { name: 'Unread', exact: true }).click();
    await olive.getByText('You’re all caught up.').waitFor();
  });

  test('on a phone the bell opens the notifications page, which fits the screen', async () => {
    await comment('ROCK-3', '@olive one more for the phone, with a rather long sentence that has to wrap nicely');
    const phone = await signedIn('olive@example.com', 'Olive Owner', { width: 375, height: 812 });
    await phone.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    await phone.waitForURL(/\/notifications$/);
    const item = phone.getByRole('link', { name: /^Unread: Max Member mentioned you on ROCK-3 "Count down"/ });
    await item.waitFor();
    assert.equal(await overflows(phone), false, 'the notifications page is no wider than the phone');
    await assertAccessible(phone, 'notifications page on a phone');
    await item.click();
    await phone.getByRole('heading', { name: 'Count down', level: 1 }).waitFor();
    await phone.getByRole('button', { name: 'Notifications, none unread' }).waitFor();
  });

  test('the email digest is chosen in the account settings and stays chosen', async () => {
    await olive.goto(`${origin}/account`);
    const digest = olive.getByRole('group', { name: 'Email digest' });
    await digest
      .getByRole('radio', { name: /^Daily/ })
      .and(olive.locator(':checked'))
      .waitFor();
    await digest.getByRole('radio', { name: /^Hourly/ }).check();
    await olive.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Save' }).click();
    await olive.getByText('Saved: a digest of unread notifications each hour.').waitFor();
    assert.deepEqual(await ok(call('olive', 'GET', '/notifications/settings')), { emailDigest: 'hourly' });
    await assertAccessible(olive, 'account with the digest setting');
    await olive.reload();
    await digest
      .getByRole('radio', { name: /^Hourly/ })
      .and(olive.locator(':checked'))
      .waitFor();
    await digest.getByRole('radio', { name: /^Off/ }).check();
    await olive.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Save' }).click();
    await olive.getByText('Saved: no digest emails.').waitFor();
    assert.deepEqual(await ok(call('olive', 'GET', '/notifications/settings')), { emailDigest: 'off' });
  });

  test('a weekly repeat is set on a task (a bad one refused with the reason), shown with its next copy, read-only to a viewer, and stopped', async () => {
    await olive.goto(`${origin}/projects/ROCK/tasks/ROCK-1`);
    const repeat = olive.getByRole('group', { name: 'Repeat' });
    await repeat.getByText('Does not repeat').waitFor();
    await repeat.getByRole('button', { name: 'Set how ROCK-1 repeats' }).click();
    const form = olive.getByRole('form', { name: 'How ROCK-1 repeats' });
    await form.getByLabel('Unit').selectOption('weekly');
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
      const toggle = form.getByRole('button', { name: day, exact: true });
      const wanted = day === 'Monday' || day === 'Thursday';
      if ((await toggle.getAttribute('aria-pressed')) !== String(wanted)) await toggle.click();
    }
    await assertAccessible(olive, 'task with the repeat form');
    await form.getByLabel('Every').fill('0');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').filter({ hasText: 'Repeat at least every 1' }).waitFor();

    await form.getByLabel('Every').fill('2');
    await form.getByLabel('Starts on').fill('2027-03-01');
    await form.getByLabel('Ends on (optional)').fill('2027-01-01');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').filter({ hasText: 'The rule cannot end before it starts' }).waitFor();
    await form.getByLabel('Ends on (optional)').fill('');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await repeat.getByText('Every 2 weeks on Monday and Thursday, from 2027-03-01').waitFor();
    // 1 March 2027 is a Monday: the first copy is made then.
    await repeat.getByText(/^Next copy: Mon.*1/).waitFor();
    assert.equal(
      (await ok(call('olive', 'GET', '/tasks/ROCK-1/recurrence'))).description,
      'every 2 weeks on Monday and Thursday, from 2027-03-01',
    );

    const vic = await signedIn('vic@example.com', 'Vic Viewer', { width: 375, height: 812 });
    await vic.goto(`${origin}/projects/ROCK/tasks/ROCK-1`);
    await vic.getByRole('group', { name: 'Repeat' }).getByText('Every 2 weeks on Monday and Thursday').waitFor();
    assert.equal(await vic.getByRole('button', { name: /how ROCK-1 repeats/ }).count(), 0, 'a viewer only reads it');
    assert.equal(await overflows(vic), false);

    const phone = await signedIn('olive@example.com', 'Olive Owner', { width: 375, height: 812 });
    await phone.goto(`${origin}/projects/ROCK/tasks/ROCK-1`);
    await phone.getByRole('button', { name: 'Change how ROCK-1 repeats' }).click();
    await phone.getByRole('form', { name: 'How ROCK-1 repeats' }).waitFor();
    assert.equal(await overflows(phone), false, 'the repeat form fits a phone');
    await assertAccessible(phone, 'repeat form on a phone');

    await repeat.getByRole('button', { name: 'Change how ROCK-1 repeats' }).click();
    assert.equal(await form.getByRole('button', { name: 'Thursday' }).getAttribute('aria-pressed'), 'true');
    await form.getByRole('button', { name: 'Stop repeating' }).click();
    await repeat.getByText('Does not repeat').waitFor();
    const stopped = await call('olive', 'GET', '/tasks/ROCK-1/recurrence');
    assert.equal(stopped.statusCode, 200);
    assert.equal(stopped.json(), null, 'the task no longer repeats');
    await olive.getByText('made the task repeat every 2 weeks on Monday and Thursday, from 2027-03-01').waitFor();
    await olive.getByText('stopped the task repeating').waitFor();
  });
});
