import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTenant } from '../../../test/helpers/factories.js';
import {
  consoleHost,
  sessionOf,
  staffConsole,
  staffPassword,
  tokenOf,
  type Session,
} from '../../../test/helpers/console.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import type { TenantView } from '../tenancy/index.js';

const clock = manualClock(new Date('2026-12-06T10:00:10Z'));
let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
let globex: TenantView;
const password = 'correct horse battery staple 42';
let call: ReturnType<typeof staffConsole>['call'];
let onConsole: ReturnType<typeof staffConsole>['onConsole'];
let code: ReturnType<typeof staffConsole>['code'];
let setUpStaff: ReturnType<typeof staffConsole>['setUpStaff'];

async function signInMember(email: string): Promise<Session> {
  const response = await call(hostOf(acme.slug), 'POST', '/session', { body: { email, password } });
  return sessionOf(response, 'steadfast_session');
}

/** Asks for a grant to acme and enters it: the support session on acme's host. */
async function enterAcme(staff: Session, reason = 'Customer reports a sign-in loop (ticket 4711)') {
  const grant = await onConsole('POST', '/grants', staff, { tenant: acme.slug, reason, minutes: 30 });
  assert.equal(grant.statusCode, 201, grant.body);
  const entry = await onConsole('POST', `/grants/${grant.json().id}/entry`, staff);
  assert.equal(entry.statusCode, 200, entry.body);
  const url = new URL(entry.json().url);
  assert.equal(url.host, hostOf(acme.slug));
  assert.equal(url.pathname, '/support');
  const token = tokenOf(entry.json().url);
  const entered = await call(hostOf(acme.slug), 'POST', '/support/session', { body: { token } });
  return { grantId: grant.json().id as string, token, support: sessionOf(entered, 'steadfast_support'), entered };
}

async function tenantAudit(prefix: string): Promise<string[]> {
  const entries = await platform.identity.auditEntries(acme.slug, { action: prefix, limit: 100 });
  return entries.map((entry) => `${entry.actor} ${entry.action} ${entry.target}`).reverse();
}

before(async () => {
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { clock });
  app = await buildTestApp(platform);
  ({ call, onConsole, code, setUpStaff } = staffConsole(app, platform, clock));
  acme = await buildTenant(platform);
  globex = await buildTenant(platform);
  for (const [email, role] of [
    ['owner@example.com', 'owner'],
    ['member@example.com', 'member'],
  ] as const)
    await platform.identity.createUser(acme.slug, { email, name: email, role, password }, { actor: 'operator:test' });
});
after(async () => {
  await app.close();
  await platform.destroy();
});

describe('staff accounts', () => {
  test('the setup link asks for a strong password and a code from the app, works once, and signs the staff member in', async () => {
    const { staff, link } = await platform.staff.create(
      { email: 'Ada@Steadfast.example', name: 'Ada' },
      'operator:cli',
    );
    assert.equal(staff.status, 'setup');
    assert.match(link, /^http:\/\/console\.localhost:\d+\/setup#token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(link);
    const bogus = await onConsole('POST', '/setup/open', undefined, { token: 'x'.repeat(43) });
    assert.equal(bogus.statusCode, 410);
    const opened = await onConsole('POST', '/setup/open', undefined, { token });
    assert.equal(opened.json().email, 'ada@steadfast.example');
    assert.match(opened.json().otpauthUrl, /^otpauth:\/\/totp\/Steadfast%20console:ada%40steadfast\.example\?/);
    const secret = opened.json().secret;
    const reopened = await onConsole('POST', '/setup/open', undefined, { token });
    assert.equal(reopened.json().secret, secret, 'a reloaded setup page shows the secret already scanned');

    const weak = await onConsole('POST', '/setup', undefined, {
      token,
      password: 'password1234',
      code: await code(secret),
    });
    assert.equal(weak.json().code, 'WEAK_PASSWORD');
    const wrongCode = await onConsole('POST', '/setup', undefined, { token, password: staffPassword, code: '000000' });
    assert.equal(wrongCode.json().code, 'SECOND_FACTOR_FAILED');
    const done = await onConsole('POST', '/setup', undefined, {
      token,
      password: staffPassword,
      code: await code(secret),
    });
    const session = sessionOf(done, 'steadfast_console');
    assert.equal(done.json().staff.email, 'ada@steadfast.example');
    assert.match(done.headers['set-cookie'] as string, /HttpOnly; SameSite=Strict/);
    const again = await onConsole('POST', '/setup', undefined, { token, password: staffPassword, code: '123456' });
    assert.equal(again.statusCode, 410, 'the link is spent');
    assert.equal((await onConsole('GET', '/me', session)).json().staff.name, 'Ada');
    assert.deepEqual(
      (await platform.staff.list()).map((s) => `${s.email} ${s.status}`),
      ['ada@steadfast.example active'],
    );
  });

  test('signing in takes the password and a fresh code together; wrong ones get one answer, then the account backs off', async () => {
    const { secret } = await setUpStaff('bo@steadfast.example');
    clock.advance(30_000);
    const body = { email: 'bo@steadfast.example', password: staffPassword };
    const noCode = await onConsole('POST', '/session', undefined, { ...body, code: '000000' });
    assert.equal(noCode.statusCode, 401);
    assert.match(noCode.json().detail, /The email address, the password or the code is wrong/);
    const wrongPassword = await onConsole('POST', '/session', undefined, {
      ...body,
      password: 'nope',
      code: await code(secret),
    });
    assert.equal(wrongPassword.json().detail, noCode.json().detail);
    const good = await onConsole('POST', '/session', undefined, { ...body, code: await code(secret) });
    const session = sessionOf(good, 'steadfast_console');
    const reused = await onConsole('POST', '/session', undefined, { ...body, code: await code(secret) });
    assert.equal(reused.statusCode, 401, 'a code is good once');

    const signOut = await onConsole('DELETE', '/session', session);
    assert.equal(signOut.statusCode, 204);
    assert.equal((await onConsole('GET', '/me', session)).statusCode, 401);

    for (let i = 0; i < 5; i++) await onConsole('POST', '/session', undefined, { ...body, code: '000000' });
    const locked = await onConsole('POST', '/session', undefined, { ...body, code: await code(secret) });
    assert.equal(locked.statusCode, 429);
    assert.match(locked.json().detail, /Try again in 1 minute/);
    clock.advance(61_000);
    assert.equal(
      (await onConsole('POST', '/session', undefined, { ...body, code: await code(secret) })).statusCode,
      200,
    );

    const actions = (await platform.staff.auditEntries()).map((e) => `${e.actor} ${e.action}`);
    assert.ok(actions.includes('anonymous staff.sign_in_failed'));
    assert.ok(actions.includes('staff:bo@steadfast.example staff.signed_in'));
    assert.ok(actions.includes('staff:bo@steadfast.example staff.signed_out'));
  });

  test('the console answers only on its host, only to staff, and every change needs the CSRF token', async () => {
    const { session } = await setUpStaff('cy@steadfast.example');
    assert.equal((await onConsole('GET', '/tenants')).statusCode, 401);
    const tenants = await onConsole('GET', '/tenants', session);
    assert.deepEqual(
      tenants
        .json()
        .map((t: { slug: string }) => t.slug)
        .sort(),
      [acme.slug, globex.slug].sort(),
    );
    const fromTenantHost = await call(hostOf(acme.slug), 'GET', '/console/tenants', { session });
    assert.equal(fromTenantHost.statusCode, 404);
    const member = await signInMember('member@example.com');
    const memberOnConsole = await onConsole('GET', '/tenants', member);
    assert.equal(memberOnConsole.statusCode, 401, "a workspace's session means nothing on the console");
    const noCsrf = await onConsole(
      'POST',
      '/grants',
      { ...session, csrf: 'wrong' },
      {
        tenant: acme.slug,
        reason: 'Checking the import that failed',
      },
    );
    assert.equal(noCsrf.json().code, 'CSRF_REJECTED');
    const shortReason = await onConsole('POST', '/grants', session, { tenant: acme.slug, reason: 'help' });
    assert.equal(shortReason.statusCode, 400);
    assert.match(shortReason.json().detail, /Say why support needs to enter/);
  });

  test('a disabled account is out at once, and a new setup link brings it back with a new password and app', async () => {
    const { session } = await setUpStaff('di@steadfast.example');
    const { support } = await enterAcme(session);
    await platform.staff.disable('di@steadfast.example', 'operator:test');
    assert.equal((await onConsole('GET', '/me', session)).statusCode, 401);
    assert.equal((await call(hostOf(acme.slug), 'GET', '/members', { session: support })).statusCode, 401);
    const link = await platform.staff.renewSetup('di@steadfast.example', 'operator:test');
    assert.equal((await onConsole('POST', '/setup/open', undefined, { token: tokenOf(link) })).statusCode, 200);
    await assert.rejects(platform.staff.disable('nobody@steadfast.example', 'operator:test'), /no staff account/);
  });
});

describe('support grants', () => {
  let staff: Session;
  before(async () => {
    ({ session: staff } = await setUpStaff('sam@steadfast.example'));
  });

  test('support enters through a one-time link, sees what an admin sees, changes nothing, and every request is in the audit log', async () => {
    const { grantId, token, support, entered } = await enterAcme(staff);
    assert.equal(entered.json().support.grantId, grantId);
    assert.equal(entered.json().support.reason, 'Customer reports a sign-in loop (ticket 4711)');
    const me = await call(hostOf(acme.slug), 'GET', '/me', { session: support });
    assert.equal(me.json().user.email, 'sam@steadfast.example');
    assert.equal(me.json().support.expiresAt, new Date(clock.now().getTime() + 30 * 60_000).toISOString());

    assert.equal((await call(hostOf(acme.slug), 'GET', '/members', { session: support })).statusCode, 200);
    assert.equal((await call(hostOf(acme.slug), 'GET', '/audit', { session: support })).statusCode, 200);
    const change = await call(hostOf(acme.slug), 'PATCH', '/security', {
      session: support,
      body: { requireTwoFactor: true },
    });
    assert.equal(change.statusCode, 403);
    assert.match(
      change.json().detail,
      /under a support grant, which shows what an admin sees and does not let you change the sign-in rules/,
    );
    assert.equal((await call(hostOf(acme.slug), 'GET', '/me/sessions', { session: support })).statusCode, 403);

    const reused = await call(hostOf(acme.slug), 'POST', '/support/session', { body: { token } });
    assert.equal(reused.statusCode, 410, 'an entry link works once');
    const onOtherHost = await call(hostOf(globex.slug), 'GET', '/members', { session: support });
    assert.equal(onOtherHost.statusCode, 401, 'the support session is for acme only');

    const log = await tenantAudit('support.');
    const staffName = 'staff:sam@steadfast.example';
    assert.deepEqual(log.slice(-7), [
      `${staffName} support.access_granted ${grantId}`,
      `${staffName} support.entered ${grantId}`,
      `${staffName} support.request GET /api/v1/me`,
      `${staffName} support.request GET /api/v1/members`,
      `${staffName} support.request GET /api/v1/audit`,
      `${staffName} support.request PATCH /api/v1/security`,
      `${staffName} support.request GET /api/v1/me/sessions`,
    ]);
    const [sessions, patch] = await platform.identity.auditEntries(acme.slug, { action: 'support.request', limit: 2 });
    assert.deepEqual(sessions!.detail, { grantId, status: 403 });
    assert.deepEqual(patch!.detail, { grantId, status: 403 });

    const platformLog = (await platform.staff.auditEntries()).map((e) => `${e.action} ${e.tenant_slug}`);
    assert.ok(platformLog.includes(`support.grant_opened ${acme.slug}`));
    assert.ok(platformLog.includes(`support.entry_link ${acme.slug}`));
  });

  test("another workspace's entry link is refused, and the workspace's admins see and revoke a grant: support is out at once", async () => {
    const grant = await onConsole('POST', '/grants', staff, {
      tenant: acme.slug,
      reason: 'Looking at the failed invitation mails',
    });
    const entry = await onConsole('POST', `/grants/${grant.json().id}/entry`, staff);
    const wrongHost = await call(hostOf(globex.slug), 'POST', '/support/session', {
      body: { token: tokenOf(entry.json().url) },
    });
    assert.equal(wrongHost.statusCode, 410);
    const { grantId, support } = await enterAcme(staff, 'Second look at the invitation mails');

    const member = await signInMember('member@example.com');
    assert.equal((await call(hostOf(acme.slug), 'GET', '/support/grants', { session: member })).statusCode, 403);
    const owner = await signInMember('owner@example.com');
    const listed = await call(hostOf(acme.slug), 'GET', '/support/grants', { session: owner });
    assert.ok(listed.json().some((g: { id: string; status: string }) => g.id === grantId && g.status === 'active'));
    const globexGrants = await platform.support.list({ tenant: globex.slug });
    assert.equal(globexGrants.length, 0);
    const fromGlobex = await call(hostOf(globex.slug), 'DELETE', `/support/grants/${grantId}`, { session: owner });
    assert.equal(fromGlobex.statusCode, 401, "acme's session means nothing on globex");

    const revoked = await call(hostOf(acme.slug), 'DELETE', `/support/grants/${grantId}`, { session: owner });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().status, 'ended');
    assert.equal(revoked.json().endedBy, 'user:owner@example.com');
    const after = await call(hostOf(acme.slug), 'GET', '/members', { session: support });
    assert.equal(after.statusCode, 401);
    assert.match(after.json().detail, /support access to this workspace has ended/);
    const page = await app.inject({
      url: '/admin',
      headers: { host: hostOf(acme.slug), cookie: support.cookie, accept: 'text/html' },
    });
    assert.equal(
      page.statusCode,
      200,
      "the ended cookie refuses the API, not the app's pages (which say what happened)",
    );
    const link = await onConsole('POST', `/grants/${grantId}/entry`, staff);
    assert.equal(link.statusCode, 403);
    assert.deepEqual(
      (await tenantAudit('support.access_ended')).at(-1),
      `user:owner@example.com support.access_ended ${grantId}`,
    );
  });

  test('a workspace that asks for approval gets a mail; support waits until an owner or admin approves, and a denial ends it', async () => {
    const owner = await signInMember('owner@example.com');
    const set = await call(hostOf(acme.slug), 'PATCH', '/security', {
      session: owner,
      body: { supportApproval: true },
    });
    assert.equal(set.json().supportApproval, true);

    const asked = await onConsole('POST', '/grants', staff, {
      tenant: acme.slug,
      reason: 'Export keeps timing out for the finance team',
      minutes: 45,
    });
    assert.equal(asked.json().status, 'pending');
    const grantId = asked.json().id;
    const [mail] = await platform.mail.list({ limit: 1, to: 'owner@example.com' });
    assert.match(mail!.subject, /Steadfast support asks to enter/);
    assert.ok(mail!.body!.includes('Export keeps timing out for the finance team'));
    assert.ok(mail!.body!.includes(`${acme.url}/admin#support`));

    const early = await onConsole('POST', `/grants/${grantId}/entry`, staff);
    assert.equal(early.statusCode, 403);
    assert.match(early.json().detail, /waits for the workspace's approval/);
    const member = await signInMember('member@example.com');
    const byMember = await call(hostOf(acme.slug), 'POST', `/support/grants/${grantId}/approve`, { session: member });
    assert.equal(byMember.statusCode, 403);

    clock.advance(10 * 60_000);
    const approved = await call(hostOf(acme.slug), 'POST', `/support/grants/${grantId}/approve`, { session: owner });
    assert.equal(approved.json().status, 'active');
    assert.equal(approved.json().decidedBy, 'user:owner@example.com');
    assert.equal(
      approved.json().expiresAt,
      new Date(clock.now().getTime() + 45 * 60_000).toISOString(),
      'the time runs from the approval',
    );
    const twice = await call(hostOf(acme.slug), 'POST', `/support/grants/${grantId}/deny`, { session: owner });
    assert.equal(twice.statusCode, 409);
    assert.equal((await onConsole('POST', `/grants/${grantId}/entry`, staff)).statusCode, 200);

    const second = await onConsole('POST', '/grants', staff, {
      tenant: acme.slug,
      reason: 'One more look at the export',
    });
    const denied = await call(hostOf(acme.slug), 'POST', `/support/grants/${second.json().id}/deny`, {
      session: owner,
    });
    assert.equal(denied.json().status, 'denied');
    assert.equal((await onConsole('POST', `/grants/${second.json().id}/entry`, staff)).statusCode, 403);
    assert.deepEqual((await tenantAudit('support.')).filter((line) => line.includes('.access_')).slice(-3), [
      `user:owner@example.com support.access_approved ${grantId}`,
      `staff:sam@steadfast.example support.access_requested ${second.json().id}`,
      `user:owner@example.com support.access_denied ${second.json().id}`,
    ]);
    await call(hostOf(acme.slug), 'PATCH', '/security', { session: owner, body: { supportApproval: false } });
  });

  test('a grant ends by itself: after its minutes the session is refused and the grant shows as expired', async () => {
    const { grantId, support } = await enterAcme(staff, 'Watching the nightly import run');
    assert.equal((await call(hostOf(acme.slug), 'GET', '/members', { session: support })).statusCode, 200);
    clock.advance(20 * 60_000);
    assert.equal((await onConsole('GET', '/me', staff)).statusCode, 200, 'the console session is kept alive by use');
    clock.advance(11 * 60_000);
    assert.equal((await call(hostOf(acme.slug), 'GET', '/members', { session: support })).statusCode, 401);
    const listed = await onConsole('GET', '/grants', staff);
    assert.equal(listed.json().find((g: { id: string }) => g.id === grantId).status, 'expired');
    const ended = await onConsole('DELETE', `/grants/${grantId}`, staff);
    assert.equal(ended.json().status, 'expired', 'an expired grant is left as it is');
  });
});

describe('the staff IP allow-list', () => {
  test('an address outside staffAllowList gets a 403 on every console route, sign-in included', async () => {
    const guarded = await createTestPlatform({ staffAllowList: ['203.0.113.0/24'] });
    const guardedApp = await buildTestApp(guarded);
    try {
      const refused = await guardedApp.inject({
        method: 'POST',
        url: '/api/v1/console/session',
        headers: { host: consoleHost },
        payload: { email: 'x@example.com', password: 'x', code: '123456' },
      });
      assert.equal(refused.statusCode, 403);
      assert.match(
        refused.json().detail,
        /staff console is reachable only from .* and 127\.0\.0\.1 is not one of them/,
      );
      const allowed = await guardedApp.inject({
        method: 'GET',
        url: '/api/v1/console/me',
        headers: { host: consoleHost },
        remoteAddress: '203.0.113.9',
      });
      assert.equal(allowed.statusCode, 401, 'inside the list, the console asks for a session');
    } finally {
      await guardedApp.close();
      await guarded.destroy();
    }
  });
});
