import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { assertAccessible, launchBrowser } from './helpers/browser.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * The web app's first screens in Debian's Chromium, against the real server over real HTTP:
 * sign-in with a password and a TOTP code, a reset through the outbox, an invitation accepted,
 * a session revoked; every screen scanned by axe-core.
 */

const password = 'correct horse battery staple 42';
let platform: TestPlatform;
let app: FastifyInstance;
let browser: Browser;
let acme: TenantView;
let origin: string;

before(async () => {
  // The port is chosen first: the links the workspace mails name it.
  const port = await findFreePort();
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { publicPort: port });
  app = await buildTestApp(platform);
  await app.listen({ host: '127.0.0.1', port });
  acme = await buildTenant(platform, { name: 'Acme Rockets' });
  origin = `http://${acme.slug}.localhost:${port}`;
  for (const [email, name, role] of [
    ['olive@example.com', 'Olive Owner', 'owner'],
    ['max@example.com', 'Max Member', 'member'],
    ['sam@example.com', 'Sam Sessions', 'member'],
  ] as const)
    await platform.identity.createUser(acme.slug, { email, name, role, password }, { actor: 'operator:test' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app.close();
  await platform.destroy();
});

async function freshPage(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, email: string, secret = password): Promise<void> {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The newest one-time link mailed to `to`, as the outbox keeps it. */
async function mailedLink(to: string): Promise<string> {
  const [message] = await platform.mail.list({ limit: 1, to });
  const link = /https?:\/\/\S+#token=[A-Za-z0-9_-]+/.exec(message?.body ?? '')?.[0];
  assert.ok(link, `a link mailed to ${to}`);
  return link;
}

/** Waits into the next 30-second step, so a new TOTP code is due (each code is good once). */
async function nextTotpStep(): Promise<void> {
  await sleep(30_000 - (Date.now() % 30_000) + 200);
}

describe('the web app in Chromium', () => {
  test('sign in with a password, set up an authenticator app, and sign in again with a TOTP code', async () => {
    const { context, page } = await freshPage();
    try {
      await page.goto(origin);
      await page.waitForURL(/\/sign-in\?next=%2F$/);
      await assertAccessible(page, 'sign-in');
      await signIn(page, 'olive@example.com');
      await page.getByRole('heading', { name: 'Welcome, Olive Owner' }).waitFor();
      assert.equal(await page.title(), 'Acme Rockets · Steadfast');
      await assertAccessible(page, 'home');

      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      await assertAccessible(page, 'account');
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const secret = (await page.getByLabel('Key to type into the app').textContent())!.trim();
      await assertAccessible(page, 'authenticator setup');
      await page.getByLabel('Code from the app').fill(await generate({ secret }));
      await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
      const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
      await codes.first().waitFor();
      assert.equal(await codes.count(), 10);
      await page.getByText('An authenticator app is set up.').waitFor();

      await page.getByRole('button', { name: 'Sign out' }).first().click();
      await page.waitForURL(/\/sign-in/);
      await signIn(page, 'olive@example.com');
      await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      await assertAccessible(page, 'second factor');
      await nextTotpStep();
      await page.getByLabel('Code', { exact: true }).fill(await generate({ secret }));
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Welcome, Olive Owner' }).waitFor();
      const [entry] = await platform.identity.auditEntries(acme.slug, { action: 'session.signed_in', limit: 1 });
      assert.deepEqual(entry!.detail, { method: 'password+totp' });
    } finally {
      await context.close();
    }
  });

  test('a forgotten password is reset through the mailed link, on a phone-sized screen', async () => {
    const { context, page } = await freshPage({ width: 390, height: 844 });
    try {
      await page.goto(`${origin}/sign-in`);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await assertAccessible(page, 'ask for a reset link');
      await page.getByLabel('Email').fill('max@example.com');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page
        .getByRole('status')
        .getByText(/a link to choose a new password is on its way/)
        .waitFor();

      await page.goto(await mailedLink('max@example.com'));
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      await assertAccessible(page, 'choose a new password');
      await page.getByLabel('New password').fill('short');
      await page.getByLabel('The same password again').fill('short');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByRole('alert').waitFor();
      const newPassword = 'a fresh passphrase for max';
      await page.getByLabel('New password').fill(newPassword);
      await page.getByLabel('The same password again').fill(newPassword);
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByRole('heading', { name: 'Password changed' }).waitFor();
      assert.doesNotMatch(page.url(), /token=/, 'the spent token leaves the address bar');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await signIn(page, 'max@example.com', newPassword);
      await page.getByRole('heading', { name: 'Welcome, Max Member' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('an invited person accepts the mailed link, chooses a password and is signed in', async () => {
    const owner = await platform.identity.members(acme.slug).then((m) => m.find((x) => x.role === 'owner')!);
    await platform.identity.invite(
      acme.slug,
      { kind: 'user', name: owner.email, userId: owner.id, role: 'owner' },
      { email: 'nina@example.com', role: 'member' },
      { ip: '127.0.0.1' },
      { name: acme.name, url: origin },
    );
    const { context, page } = await freshPage();
    try {
      await page.goto(await mailedLink('nina@example.com'));
      await page.getByRole('heading', { name: 'Join Acme Rockets' }).waitFor();
      await assertAccessible(page, 'accept invitation');
      await page.getByLabel('Your name').fill('Nina New');
      await page.getByLabel('Choose a password').fill('nina chooses a good passphrase');
      await page.getByRole('button', { name: 'Join the workspace' }).click();
      await page.getByRole('heading', { name: 'Welcome, Nina New' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('a session on another device is listed and signed out from the account page', async () => {
    const elsewhere = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { host: hostOf(acme.slug), 'user-agent': 'Mozilla/5.0 (iPhone) Safari/604.1' },
      payload: { email: 'sam@example.com', password },
    });
    const otherCookie = elsewhere.cookies.find((c) => c.name === 'steadfast_session')!;
    const { context, page } = await freshPage();
    try {
      await signIn(page, 'sam@example.com');
      await page.getByRole('heading', { name: 'Welcome, Sam Sessions' }).waitFor();
      await page.goto(`${origin}/account`);
      const rows = page.getByRole('table').first().getByRole('row');
      await page.getByText('this one').waitFor();
      assert.equal(await rows.count(), 3, 'a header and two sessions');
      await rows.filter({ hasText: 'iPhone' }).getByRole('button', { name: 'Sign out' }).click();
      await rows.filter({ hasText: 'iPhone' }).waitFor({ state: 'detached' });
      assert.equal(await rows.count(), 2, 'a header and this session');
      const me = await app.inject({
        url: '/api/v1/me',
        headers: { host: hostOf(acme.slug), cookie: `${otherCookie.name}=${otherCookie.value}` },
      });
      assert.equal(me.statusCode, 401, 'the other device is signed out');
    } finally {
      await context.close();
    }
  });

  test('an owner invites a member from the workspace page; the invitation is in the audit log', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, 'olive@example.com');
      await page
        .getByRole('heading', { name: /Welcome|Two-factor/ })
        .first()
        .waitFor();
      if (await page.getByRole('heading', { name: 'Two-factor authentication' }).isVisible()) {
        // Olive set up an authenticator app in the first test: this sign-in passes it with a recovery code.
        await page.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
        const codes = await platform.identity.accounts.twoFactorStatus(acme.slug, (await ownerOf()).id);
        assert.ok(codes.recoveryCodesLeft > 0);
        await page.getByLabel('Recovery code').fill(await renewedRecoveryCode());
        await page.getByRole('button', { name: 'Continue' }).click();
      }
      await page.getByRole('link', { name: 'Workspace' }).click();
      await page.getByRole('heading', { name: 'Workspace settings' }).waitFor();
      await page.getByRole('row', { name: /Max Member/ }).waitFor();
      await assertAccessible(page, 'workspace settings');
      await page.getByLabel('Email').fill('omar@example.com');
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByText('Invitation sent to omar@example.com').waitFor();
      await page.getByRole('cell', { name: 'omar@example.com' }).waitFor();
      await page.reload();
      await page.getByText('invitation.created').first().waitFor();

      const invited = await browser.newContext();
      const invitedPage = await invited.newPage();
      await invitedPage.goto(await mailedLink('omar@example.com'));
      await invitedPage.getByText(/You are invited as viewer/).waitFor();
      await invitedPage.getByLabel('Your name').fill('Omar Viewer');
      await invitedPage.getByLabel('Choose a password').fill('omar picks a long passphrase');
      await invitedPage.getByRole('button', { name: 'Join the workspace' }).click();
      await invitedPage.getByRole('heading', { name: 'Welcome, Omar Viewer' }).waitFor();
      assert.equal(
        await invitedPage.getByRole('link', { name: 'Workspace' }).count(),
        0,
        'a viewer has no workspace page',
      );
      await invited.close();
    } finally {
      await context.close();
    }
  });

  test('stored text that looks like HTML or script is shown as text on every screen, never run', async () => {
    const payloads = [
      '<img src=x onerror="window.__xss=1">',
      '"><svg onload="window.__xss=2">',
      'javascript:window.__xss=3//<script>window.__xss=4</script>',
    ];
    const evil = await buildTenant(platform, { name: `${payloads[0]} Inc` });
    const port = Number(new URL(origin).port);
    const evilOrigin = `http://${evil.slug}.localhost:${port}`;
    await platform.identity.createUser(
      evil.slug,
      { email: 'eve@example.com', name: payloads[1]!, role: 'owner', password },
      { actor: 'operator:test' },
    );
    await platform.identity.createUser(
      evil.slug,
      { email: 'mallory@example.com', name: payloads[2]!, role: 'member', password },
      { actor: payloads[2]! },
    );
    const { context, page } = await freshPage();
    try {
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(`${evilOrigin}/sign-in`);
      await page.getByLabel('Email').fill('eve@example.com');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: /Welcome/ }).waitFor();
      await page.goto(`${evilOrigin}/account`);
      await page.getByLabel('Token name').fill(payloads[0]!);
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('cell', { name: payloads[0]! }).waitFor();
      for (const path of ['/', '/account', '/admin']) {
        await page.goto(`${evilOrigin}${path}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        const shown = await page.locator('body').innerText();
        assert.ok(
          payloads.some((payload) => shown.includes(payload)),
          `${path} shows the text as typed`,
        );
        assert.equal(await page.evaluate('window.__xss'), undefined, `${path} ran stored script`);
        assert.equal(await page.locator('img[src="x"], svg[onload], script:not([src])').count(), 0, path);
      }
      assert.deepEqual(dialogs, []);
    } finally {
      await context.close();
    }
  });
});

describe('maintenance in Chromium', () => {
  test('the sign-in page shows the windows ahead from when they are scheduled, and the app a band while one is under way', async () => {
    const now = Date.now();
    const author = 'staff:ops@steadfast.example';
    await platform.status.maintenance.schedule(
      {
        title: 'Database upgrade',
        description: 'Saving may pause for a few minutes.',
        components: ['database'],
        startsAt: new Date(now + 3 * 86_400_000),
        endsAt: new Date(now + 3 * 86_400_000 + 3_600_000),
      },
      author,
    );
    const { context, page } = await freshPage({ width: 390, height: 844 });
    try {
      await page.goto(`${origin}/sign-in`);
      const notices = page.getByRole('region', { name: 'Scheduled maintenance' });
      await notices.getByText('Scheduled maintenance: Database upgrade').waitFor();
      await notices.getByText('Saving may pause for a few minutes.').waitFor();
      assert.equal(await page.locator('.maintenance-banner').count(), 0);
      await assertAccessible(page, 'sign-in with a maintenance notice');

      const window = await platform.status.maintenance.schedule(
        {
          title: 'Storage failover',
          components: ['web'],
          tenants: [acme.slug],
          startsAt: new Date(now - 60_000),
          endsAt: new Date(now + 3_600_000),
          reason: 'A disk of the primary reported errors',
        },
        author,
      );
      await page.reload();
      await notices.getByText('Maintenance under way: Storage failover').waitFor();
      await notices.getByText('Announced at short notice: A disk of the primary reported errors').waitFor();
      await signIn(page, 'max@example.com');
      const band = page.getByRole('status').filter({ hasText: 'Maintenance under way' });
      await band.getByText('Storage failover').waitFor();
      await assertAccessible(page, 'the app with a maintenance band');
      await platform.status.maintenance.end(window.id, author);
    } finally {
      await context.close();
    }
  });
});

describe('passkeys in Chromium, with its virtual authenticator', () => {
  test('a passkey is added from the account page, signs in alone, and then stands as the second step after a password', async () => {
    const { context, page } = await freshPage();
    try {
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      await platform.identity.createUser(
        acme.slug,
        { email: 'pat@example.com', name: 'Pat Passkey', role: 'member', password },
        { actor: 'operator:test' },
      );
      await signIn(page, 'pat@example.com');
      await page.getByRole('heading', { name: 'Welcome, Pat Passkey' }).waitFor();
      await page.goto(`${origin}/account`);
      await page.getByLabel('Passkey name').fill('Test laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('Passkey "Test laptop" added').waitFor();
      await page.getByRole('cell', { name: 'Test laptop' }).waitFor();
      await assertAccessible(page, 'account with a passkey');

      await page.getByRole('button', { name: 'Sign out' }).first().click();
      await page.waitForURL(/\/sign-in/);
      await page.goto(`${origin}/sign-in`);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Welcome, Pat Passkey' }).waitFor();
      const [alone] = await platform.identity.auditEntries(acme.slug, { action: 'session.signed_in', limit: 1 });
      assert.deepEqual([alone!.target, alone!.detail], ['pat@example.com', { method: 'passkey' }]);

      await page.getByRole('button', { name: 'Sign out' }).first().click();
      await page.waitForURL(/\/sign-in/);
      await signIn(page, 'pat@example.com');
      await page.getByRole('button', { name: 'Use your passkey' }).click();
      await page.getByRole('heading', { name: 'Welcome, Pat Passkey' }).waitFor();
      const [second] = await platform.identity.auditEntries(acme.slug, { action: 'session.signed_in', limit: 1 });
      assert.deepEqual(second!.detail, { method: 'password+passkey' });
      assert.deepEqual(
        (await platform.identity.auditEntries(acme.slug, { action: 'passkey.', limit: 5 })).map((e) => e.target),
        ['pat@example.com'],
      );
    } finally {
      await context.close();
    }
  });
});

async function ownerOf() {
  return (await platform.identity.members(acme.slug)).find((m) => m.email === 'olive@example.com')!;
}

/** A fresh recovery code of Olive's (her app is on a phone the test does not hold). */
async function renewedRecoveryCode(): Promise<string> {
  const owner = await ownerOf();
  const codes = await platform.identity.accounts.renewRecoveryCodes(
    acme.slug,
    { kind: 'user', name: owner.email, userId: owner.id, role: 'owner' },
    password,
    { ip: '127.0.0.1' },
  );
  return codes[0]!;
}
