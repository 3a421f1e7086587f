import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { assertAccessible, launchBrowser } from './helpers/browser.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * The staff console and support access in Debian's Chromium, against the real server over real
 * HTTP: a member of staff sets up the account from the operator's link and signs in with password
 * and authenticator code, asks for access to a workspace, enters it read-only, and is put out when
 * the workspace's owner revokes the grant; a workspace that asks first approves a request. Every
 * screen on the way is scanned by axe-core.
 */

const ownerPassword = 'correct horse battery staple 42';
const staffPassword = 'lantern quietly orbit marmalade 7';
const staffEmail = 'sasha@steadfast.example';
let platform: TestPlatform;
let app: FastifyInstance;
let browser: Browser;
let acme: TenantView;
let consoleOrigin: string;
let acmeOrigin: string;
/** The member of staff's browser, signed in to the console from the first test on. */
let staff: { context: BrowserContext; page: Page };
/** Acme's owner's browser, signed in from the second test on. */
let owner: { context: BrowserContext; page: Page };

before(async () => {
  // The port is chosen first: the setup and entry links name it.
  const port = await findFreePort();
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { publicPort: port });
  app = await buildTestApp(platform);
  await app.listen({ host: '127.0.0.1', port });
  acme = await buildTenant(platform, { name: 'Acme Rockets' });
  await buildTenant(platform, { name: 'Globex' });
  consoleOrigin = `http://console.localhost:${port}`;
  acmeOrigin = `http://${acme.slug}.localhost:${port}`;
  await platform.identity.createUser(
    acme.slug,
    { email: 'olive@example.com', name: 'Olive Owner', role: 'owner', password: ownerPassword },
    { actor: 'operator:test' },
  );
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app.close();
  await platform.destroy();
});

async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return { context, page: await context.newPage() };
}

/** The authenticator code for `secondsAhead` from now (a code is good once, for its 30-second step). */
const codeFor = (secret: string, secondsAhead = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + secondsAhead });

/** Asks for access to Acme Rockets from the console's workspaces screen; the grant's row in the console. */
async function requestAcme(page: Page, reason: string) {
  await page.getByRole('button', { name: 'Request access to Acme Rockets' }).click();
  const dialog = page.getByRole('dialog', { name: 'Request access to Acme Rockets' });
  await dialog.getByLabel('Reason').fill(reason);
  assert.equal(await dialog.getByLabel('Duration').inputValue(), '60', 'an hour unless one chooses');
  await dialog.getByRole('button', { name: 'Request access', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  return page.getByRole('region', { name: 'Support grants' }).getByRole('row').filter({ hasText: reason });
}

/** Enters the workspace under the grant in `row`: the one-time link opens the workspace's settings in this tab. */
async function enter(page: Page, row: Locator, reason: string): Promise<void> {
  await row.getByRole('button', { name: 'Enter' }).click();
  await page.waitForURL(`${acmeOrigin}/admin`);
  await page
    .getByRole('status')
    .filter({ hasText: `Steadfast support — read-only access for: ${reason}` })
    .waitFor();
  await page.getByRole('row', { name: /Olive Owner/ }).waitFor();
}

describe('the staff console and support access in Chromium', () => {
  test('a member of staff sets up the account from the setup link, signs out and signs in again with a new code', async () => {
    const { link } = await platform.staff.create({ email: staffEmail, name: 'Sasha Support' }, 'operator:test');
    assert.ok(link.startsWith(`${consoleOrigin}/setup#token=`), link);
    staff = await freshPage();
    const { page } = staff;

    await page.goto(link);
    await page.getByRole('heading', { name: 'Set up your console account' }).waitFor();
    await page.getByText(`For Sasha Support (${staffEmail})`).waitFor();
    assert.equal(await page.title(), 'Console · Steadfast');
    const secret = (await page.getByLabel('Key to type into the app').textContent())!.replace(/\s/g, '');
    await assertAccessible(page, 'console setup');

    await page.getByLabel('New password').fill('password1234');
    await page.getByLabel('The same password again').fill('password1234');
    await page.getByLabel('Code from the app').fill(await codeFor(secret));
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await page.getByText(/This password is too easy to guess/).waitFor();
    await page.getByLabel('New password').fill(staffPassword);
    await page.getByLabel('The same password again').fill(staffPassword);
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
    assert.equal(page.url(), `${consoleOrigin}/`, 'the spent token leaves the address bar');
    await page.getByRole('banner').getByText('Sasha Support').waitFor();
    const workspaces = page.getByRole('region', { name: 'Workspaces' });
    await workspaces.getByRole('row', { name: /Acme Rockets/ }).waitFor();
    await workspaces.getByRole('row', { name: /Globex/ }).waitFor();
    await page.getByRole('cell', { name: 'staff.setup_completed' }).waitFor();
    await assertAccessible(page, 'console workspaces');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await assertAccessible(page, 'console sign-in');
    await page.getByLabel('Email').fill(staffEmail);
    await page.getByLabel('Password', { exact: true }).fill(staffPassword);
    await page.getByLabel('Authenticator code').fill('000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByRole('alert')
      .getByText(/the password or the code is wrong/)
      .waitFor();
    // The setup spent this step's code: the next step's is good (the server takes one step either side).
    await page.getByLabel('Authenticator code').fill(await codeFor(secret, 30));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
  });

  test('support asks for access with a reason, enters the workspace read-only, and is out once the owner revokes the grant', async () => {
    const { page } = staff;
    const reason = 'Customer reports the invoice total is wrong (ticket 4821)';
    await page.getByRole('button', { name: 'Request access to Acme Rockets' }).click();
    await assertAccessible(page, 'request access dialog');
    await page.getByRole('button', { name: 'Cancel' }).click();
    const row = await requestAcme(page, reason);
    await row.getByText('active', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/Access to Acme Rockets is open until/)
      .waitFor();
    await assertAccessible(page, 'console workspaces with a grant');

    await enter(page, row, reason);
    assert.equal(await page.getByRole('link', { name: 'Account' }).count(), 0, 'support has no account here');
    assert.equal(await page.getByRole('button', { name: 'Send invitation' }).count(), 0, 'nor any use for the form');
    await page.getByRole('region', { name: 'Support access' }).getByText(reason).waitFor();
    await assertAccessible(page, 'workspace settings as support');

    owner = await freshPage();
    await owner.page.goto(`${acmeOrigin}/admin#support`);
    await owner.page.waitForURL(/\/sign-in\?next=%2Fadmin%23support$/);
    await owner.page.getByLabel('Email').fill('olive@example.com');
    await owner.page.getByLabel('Password', { exact: true }).fill(ownerPassword);
    await owner.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await owner.page.waitForURL(`${acmeOrigin}/admin#support`);
    const section = owner.page.getByRole('region', { name: 'Support access' });
    const ownerRow = section.getByRole('row').filter({ hasText: reason });
    await ownerRow.getByText('active', { exact: true }).waitFor();
    await ownerRow.getByText('Sasha Support').waitFor();
    await assertAccessible(owner.page, 'support access as the owner');
    await ownerRow.getByRole('button', { name: 'Revoke' }).click();
    await ownerRow.getByText('ended', { exact: true }).waitFor();

    // The dead support cookie is refused by the API; the page loads and says why.
    const reloaded = await page.reload();
    assert.equal(reloaded?.status(), 200);
    await page.getByText(/Your support access to this workspace has ended/).waitFor();
    const log = await platform.identity.auditEntries(acme.slug, { action: 'support.', limit: 100 });
    const actions = log.map((entry) => `${entry.actor} ${entry.action}`);
    assert.ok(actions.includes(`staff:${staffEmail} support.entered`), actions.join('\n'));
    assert.ok(actions.includes('user:olive@example.com support.access_ended'), actions.join('\n'));
  });

  test('a workspace that asks first: the request waits until the owner approves it, then support enters and leaves', async () => {
    const section = owner.page.getByRole('region', { name: 'Support access' });
    await section.getByLabel('Ask us before support enters').check();
    await section
      .getByRole('status')
      .getByText(/Support now asks first/)
      .waitFor();

    const { page } = staff;
    const reason = 'Second look at the invitation mails (ticket 4822)';
    await page.goto(consoleOrigin);
    const row = await requestAcme(page, reason);
    await row.getByText('awaiting approval', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/Acme Rockets approves each support request first/)
      .waitFor();
    assert.equal(await row.getByRole('button', { name: 'Enter' }).count(), 0, 'no way in before the approval');
    assert.equal(await row.getByRole('button', { name: 'End' }).count(), 1, 'the request can be withdrawn');

    await owner.page.reload();
    const ownerRow = section.getByRole('row').filter({ hasText: reason });
    await ownerRow.getByText('awaiting approval', { exact: true }).waitFor();
    await ownerRow.getByRole('button', { name: 'Approve' }).click();
    await ownerRow.getByText('active', { exact: true }).waitFor();

    // The revoked grant's cookie is still in this browser: the new entry link works over it.
    await page.getByRole('region', { name: 'Support grants' }).getByRole('button', { name: 'Refresh' }).click();
    await row.getByText('active', { exact: true }).waitFor();
    await enter(page, row, reason);
    await page.getByRole('button', { name: 'Leave' }).click();
    await page.waitForURL(`${consoleOrigin}/`);
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
    const [approved] = await platform.identity.auditEntries(acme.slug, { action: 'support.access_approved', limit: 1 });
    assert.equal(approved?.actor, 'user:olive@example.com');
  });

  after(async () => {
    await staff?.context.close();
    await owner?.context.close();
  });
});
