import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import type { TenantView } from '../tenancy/index.js';

const clock = manualClock(new Date('2026-12-06T10:00:10Z'));
let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
const password = 'correct horse battery staple 42';

before(async () => {
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { clock });
  app = await buildTestApp(platform);
  acme = await buildTenant(platform);
  await platform.identity.createUser(
    acme.slug,
    { email: 'owner@example.com', name: 'Olive Owner', role: 'owner', password },
    { actor: 'operator:test' },
  );
  await platform.identity.createUser(
    acme.slug,
    { email: 'member@example.com', name: 'Max Member', role: 'member', password },
    { actor: 'operator:test' },
  );
});
after(async () => {
  await app.close();
  await platform.destroy();
});

interface Session {
  cookie: string;
  csrf: string;
}

function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: { session?: Session; body?: unknown } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { host: hostOf(acme.slug) };
  if (options.session) {
    headers.cookie = options.session.cookie;
    headers['x-csrf-token'] = options.session.csrf;
  }
  return app.inject({ method, url: `/api/v1${url}`, headers, ...(options.body ? { payload: options.body } : {}) });
}

function sessionOf(response: LightMyRequestResponse): Session {
  assert.equal(response.statusCode, 200, response.body);
  const cookie = response.cookies.find((c) => c.name === 'steadfast_session');
  assert.ok(cookie, 'a session cookie is set');
  return { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken };
}

async function signIn(email: string, secret = password): Promise<Session> {
  return sessionOf(await call('POST', '/session', { body: { email, password: secret } }));
}

/** The one-time link of the newest message to `to`, as the outbox keeps it (no SMTP configured here). */
async function linkTokenFor(to: string): Promise<string> {
  const [message] = await platform.mail.list({ limit: 1, to });
  assert.ok(message, `a message to ${to} is in the outbox`);
  assert.equal(message.status, 'kept');
  const token = /#token=([A-Za-z0-9_-]+)/.exec(message.body ?? '')?.[1];
  assert.ok(token, `the message holds a link: ${message.body}`);
  return token;
}

async function auditActions(prefix: string): Promise<string[]> {
  const entries = await platform.identity.auditEntries(acme.slug, { action: prefix, limit: 100 });
  return entries.map((entry) => `${entry.action} ${entry.target}`);
}

const code = (secret: string) => generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });

describe('invitations', () => {
  test('an admin invites by email; the link shows what it offers, signs the new member in once, and is dead afterwards', async () => {
    const owner = await signIn('owner@example.com');
    const sent = await call('POST', '/invitations', {
      session: owner,
      body: { email: 'New.Person@Example.com', role: 'admin' },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(sent.json().email, 'new.person@example.com');
    assert.ok(!sent.body.includes('token'), 'the link goes by mail only');
    const [message] = await platform.mail.list({ limit: 1, to: 'new.person@example.com' });
    assert.match(message!.subject, /owner@example.com invited you to .* on Steadfast/);
    assert.ok(message!.body!.includes(`${acme.url}/accept-invitation#token=`));
    const token = await linkTokenFor('new.person@example.com');

    const lookup = await call('POST', '/invitations/lookup', { body: { token } });
    assert.deepEqual(lookup.json(), { email: 'new.person@example.com', role: 'admin', workspace: acme.name });

    const weak = await call('POST', '/invitations/accept', {
      body: { token, name: 'New Person', password: 'password123' },
    });
    assert.equal(weak.statusCode, 400);
    assert.equal(weak.json().code, 'WEAK_PASSWORD');

    const accepted = await call('POST', '/invitations/accept', { body: { token, name: 'New Person', password } });
    const session = sessionOf(accepted);
    assert.equal(accepted.json().user.role, 'admin');
    assert.equal((await call('GET', '/members', { session })).statusCode, 200);

    const again = await call('POST', '/invitations/accept', { body: { token, name: 'Someone Else', password } });
    assert.equal(again.statusCode, 410);
    assert.equal(again.json().code, 'INVITATION_INVALID');
    assert.deepEqual(await auditActions('invitation.'), [
      'invitation.accepted new.person@example.com',
      'invitation.created new.person@example.com',
    ]);
  });

  test('inviting again replaces the link; a withdrawn or week-old link is dead; members cannot invite and admins cannot invite owners', async () => {
    const owner = await signIn('owner@example.com');
    await call('POST', '/invitations', { session: owner, body: { email: 'twice@example.com' } });
    const first = await linkTokenFor('twice@example.com');
    await call('POST', '/invitations', { session: owner, body: { email: 'twice@example.com' } });
    const second = await linkTokenFor('twice@example.com');
    assert.equal((await call('POST', '/invitations/lookup', { body: { token: first } })).statusCode, 410);
    assert.equal((await call('POST', '/invitations/lookup', { body: { token: second } })).statusCode, 200);

    const open = await call('GET', '/invitations', { session: owner });
    const invitation = open.json().find((i: { email: string }) => i.email === 'twice@example.com');
    assert.equal(invitation.role, 'member');
    assert.equal(invitation.invitedBy, 'owner@example.com');
    assert.equal((await call('DELETE', `/invitations/${invitation.id}`, { session: owner })).statusCode, 204);
    assert.equal((await call('POST', '/invitations/lookup', { body: { token: second } })).statusCode, 410);
    assert.equal((await call('DELETE', `/invitations/${invitation.id}`, { session: owner })).statusCode, 404);

    await call('POST', '/invitations', { session: owner, body: { email: 'late@example.com' } });
    const late = await linkTokenFor('late@example.com');
    clock.advance(8 * 86_400_000);
    const expired = await call('POST', '/invitations/accept', { body: { token: late, name: 'Late', password } });
    assert.equal(expired.statusCode, 410);

    const member = await signIn('member@example.com');
    const byMember = await call('POST', '/invitations', { session: member, body: { email: 'x@example.com' } });
    assert.equal(byMember.statusCode, 403);
    const admin = await signIn('new.person@example.com');
    const ownerByAdmin = await call('POST', '/invitations', {
      session: admin,
      body: { email: 'x@example.com', role: 'owner' },
    });
    assert.equal(ownerByAdmin.statusCode, 403);
    const existing = await call('POST', '/invitations', { session: admin, body: { email: 'member@example.com' } });
    assert.equal(existing.statusCode, 409);
    assert.equal(existing.json().code, 'ALREADY_MEMBER');
  });
});

describe('password resets', () => {
  test('the answer is the same whether or not the address has an account; only an account gets mail', async () => {
    const before = (await platform.mail.list({ limit: 1000 })).length;
    const known = await call('POST', '/password-resets', { body: { email: 'member@example.com' } });
    const unknown = await call('POST', '/password-resets', { body: { email: 'nobody@example.com' } });
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.equal(
      known.json().message.replace('member@example.com', 'X'),
      unknown.json().message.replace('nobody@example.com', 'X'),
    );
    assert.equal((await platform.mail.list({ limit: 1000 })).length, before + 1);
    assert.equal((await platform.mail.list({ limit: 1, to: 'nobody@example.com' })).length, 0);
  });

  test('a reset link sets a new password once, ends every session, and a newer link or 30 minutes kill it', async () => {
    const old = await signIn('member@example.com');
    await call('POST', '/password-resets', { body: { email: 'member@example.com' } });
    const superseded = await linkTokenFor('member@example.com');
    await call('POST', '/password-resets', { body: { email: 'member@example.com' } });
    const token = await linkTokenFor('member@example.com');
    const stale = await call('POST', '/password-resets/complete', {
      body: { token: superseded, password: 'x'.repeat(3) },
    });
    assert.equal(stale.statusCode, 400, 'a weak password is refused before the token is spent');
    const dead = await call('POST', '/password-resets/complete', {
      body: { token: superseded, password: 'a brand new passphrase 7' },
    });
    assert.equal(dead.statusCode, 410);
    assert.equal(dead.json().code, 'RESET_INVALID');

    const done = await call('POST', '/password-resets/complete', {
      body: { token, password: 'a brand new passphrase 7' },
    });
    assert.equal(done.statusCode, 204, done.body);
    assert.equal((await call('GET', '/me', { session: old })).statusCode, 401, 'the old session ended');
    assert.equal((await call('POST', '/session', { body: { email: 'member@example.com', password } })).statusCode, 401);
    await signIn('member@example.com', 'a brand new passphrase 7');
    const reuse = await call('POST', '/password-resets/complete', {
      body: { token, password: 'yet another passphrase 8' },
    });
    assert.equal(reuse.statusCode, 410);

    await call('POST', '/password-resets', { body: { email: 'member@example.com' } });
    const slow = await linkTokenFor('member@example.com');
    clock.advance(31 * 60_000);
    const late = await call('POST', '/password-resets/complete', {
      body: { token: slow, password: 'yet another passphrase 8' },
    });
    assert.equal(late.statusCode, 410);
    await call('PUT', '/me/password', {
      session: await signIn('member@example.com', 'a brand new passphrase 7'),
      body: { currentPassword: 'a brand new passphrase 7', newPassword: password },
    });
  });
});

describe('changing one’s password', () => {
  test('needs the current password, refuses a weak one, and ends the other sessions but not this one', async () => {
    const here = await signIn('member@example.com');
    const elsewhere = await signIn('member@example.com');
    const wrong = await call('PUT', '/me/password', {
      session: here,
      body: { currentPassword: 'not my password', newPassword: 'a brand new passphrase 9' },
    });
    assert.equal(wrong.statusCode, 401);
    const weak = await call('PUT', '/me/password', {
      session: here,
      body: { currentPassword: password, newPassword: 'member@example.com' },
    });
    assert.equal(weak.statusCode, 400);
    const changed = await call('PUT', '/me/password', {
      session: here,
      body: { currentPassword: password, newPassword: 'a brand new passphrase 9' },
    });
    assert.equal(changed.statusCode, 204, changed.body);
    assert.equal((await call('GET', '/me', { session: here })).statusCode, 200);
    assert.equal((await call('GET', '/me', { session: elsewhere })).statusCode, 401);
    await call('PUT', '/me/password', {
      session: here,
      body: { currentPassword: 'a brand new passphrase 9', newPassword: password },
    });
  });
});

describe('two-factor authentication', () => {
  let secret: string;
  let recoveryCodes: string[];

  test('setting up an app takes a first code from it; then sign-in asks for a code and gives no session before it', async () => {
    const session = await signIn('member@example.com');
    const setup = await call('POST', '/me/totp', { session });
    assert.equal(setup.statusCode, 200, setup.body);
    secret = setup.json().secret;
    assert.match(setup.json().otpauthUrl, /^otpauth:\/\/totp\/.*secret=/);

    const wrong = await call('POST', '/me/totp/confirm', { session, body: { code: '000000' } });
    assert.equal(wrong.statusCode, 401);
    const confirmed = await call('POST', '/me/totp/confirm', { session, body: { code: await code(secret) } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    recoveryCodes = confirmed.json().recoveryCodes;
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const me = await call('GET', '/me', { session });
    assert.deepEqual(me.json().twoFactor, { totp: true, recoveryCodesLeft: 10, passkeys: 0, setupRequired: false });

    const first = await call('POST', '/session', { body: { email: 'member@example.com', password } });
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json().secondFactor.methods, ['totp', 'recovery-code']);
    assert.equal(first.cookies.length, 0, 'no session before the second factor');
  });

  test('a code signs in once: the same code again is refused, the next one works', async () => {
    clock.advance(30_000);
    const challenge = (await call('POST', '/session', { body: { email: 'member@example.com', password } })).json()
      .secondFactor.challenge;
    const current = await code(secret);
    sessionOf(await call('POST', '/session/second-factor', { body: { challenge, code: current } }));

    const next = (await call('POST', '/session', { body: { email: 'member@example.com', password } })).json()
      .secondFactor.challenge;
    const replay = await call('POST', '/session/second-factor', { body: { challenge: next, code: current } });
    assert.equal(replay.statusCode, 401);
    assert.match(replay.json().detail, /4 tries left/);
    clock.advance(30_000);
    sessionOf(await call('POST', '/session/second-factor', { body: { challenge: next, code: await code(secret) } }));
    const audit = await platform.identity.auditEntries(acme.slug, { action: 'session.signed_in', limit: 1 });
    assert.deepEqual(audit[0]!.detail, { method: 'password+totp' });
  });

  test('a recovery code signs in once; five wrong codes spend the challenge', async () => {
    const challenge = (await call('POST', '/session', { body: { email: 'member@example.com', password } })).json()
      .secondFactor.challenge;
    const used = recoveryCodes[0]!.toUpperCase();
    sessionOf(await call('POST', '/session/second-factor', { body: { challenge, recoveryCode: used } }));
    const me = await call('GET', '/me', { session: await signInWithCode() });
    assert.equal(me.json().twoFactor.recoveryCodesLeft, 9);
    assert.deepEqual(await auditActions('two_factor.recovery_code_used'), [
      'two_factor.recovery_code_used member@example.com',
    ]);

    const spent = (await call('POST', '/session', { body: { email: 'member@example.com', password } })).json()
      .secondFactor.challenge;
    const reuse = await call('POST', '/session/second-factor', { body: { challenge: spent, recoveryCode: used } });
    assert.equal(reuse.statusCode, 401);
    for (let i = 0; i < 4; i += 1) {
      clock.advance(20_000); // past the address's back-off, so each try counts against the challenge
      const wrong = await call('POST', '/session/second-factor', { body: { challenge: spent, code: '123456' } });
      assert.equal(wrong.statusCode, 401);
    }
    clock.advance(20_000);
    const late = await call('POST', '/session/second-factor', { body: { challenge: spent, code: await code(secret) } });
    assert.equal(late.statusCode, 401);
    assert.match(late.json().detail, /expired or used all its tries/);
  });

  test('removing the app needs the password, and then sign-in needs the password alone', async () => {
    const session = await signInWithCode();
    const wrong = await call('DELETE', '/me/totp', { session, body: { password: 'not my password' } });
    assert.equal(wrong.statusCode, 401);
    assert.equal((await call('DELETE', '/me/totp', { session, body: { password } })).statusCode, 204);
    await signIn('member@example.com');
    assert.deepEqual(await auditActions('two_factor.'), [
      'two_factor.disabled member@example.com',
      'two_factor.recovery_code_used member@example.com',
      'two_factor.enabled member@example.com',
    ]);
  });

  async function signInWithCode(): Promise<Session> {
    clock.advance(30_000);
    const challenge = (await call('POST', '/session', { body: { email: 'member@example.com', password } })).json()
      .secondFactor.challenge;
    return sessionOf(await call('POST', '/session/second-factor', { body: { challenge, code: await code(secret) } }));
  }
});

describe('a workspace that requires two-factor authentication', () => {
  test('leads a member without it to set it up before anything else, and only admins change the rule', async () => {
    const member = await signIn('member@example.com');
    const byMember = await call('PATCH', '/security', { session: member, body: { requireTwoFactor: true } });
    assert.equal(byMember.statusCode, 403);
    const owner = await signIn('owner@example.com');
    const set = await call('PATCH', '/security', { session: owner, body: { requireTwoFactor: true } });
    assert.deepEqual(set.json(), { requireTwoFactor: true, ipAllowList: [], supportApproval: false });

    const me = await call('GET', '/me', { session: member });
    assert.equal(me.json().twoFactor.setupRequired, true);
    const blocked = await call('GET', '/members', { session: member });
    assert.equal(blocked.statusCode, 403);
    assert.equal(blocked.json().code, 'TWO_FACTOR_SETUP_REQUIRED');

    const secret = (await call('POST', '/me/totp', { session: member })).json().secret;
    const confirmed = await call('POST', '/me/totp/confirm', { session: member, body: { code: await code(secret) } });
    assert.equal(confirmed.statusCode, 200);
    assert.equal((await call('GET', '/members', { session: member })).statusCode, 200);
    const removal = await call('DELETE', '/me/totp', { session: member, body: { password } });
    assert.equal(removal.statusCode, 409, 'the required factor stays');
    assert.deepEqual(await auditActions('security.'), ['security.setting_changed requireTwoFactor']);
  });
});

describe('passkey ceremonies that go wrong', () => {
  const fake = {
    id: 'bm90LWEtcmVhbC1rZXk',
    rawId: 'bm90LWEtcmVhbC1rZXk',
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA', attestationObject: 'AAAA' },
    clientExtensionResults: {},
  };

  test('options name this workspace as the relying party, with a fresh challenge each time', async () => {
    const first = await call('POST', '/session/passkey-options');
    const second = await call('POST', '/session/passkey-options');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().rpId, `${acme.slug}.localhost`);
    assert.equal(first.json().userVerification, 'required');
    assert.notEqual(first.json().challenge, second.json().challenge);
  });

  test('an unknown passkey, a made-up answer, or a second step without its first are refused with a problem document', async () => {
    const unknown = await call('POST', '/session/passkey', { body: { response: fake } });
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.json().code, 'SIGN_IN_FAILED');
    const noStep = await call('POST', '/session/second-factor/passkey-options', {
      body: { challenge: 'x'.repeat(43) },
    });
    assert.equal(noStep.statusCode, 401);
    assert.match(noStep.json().detail, /expired or used all its tries/);
    const session = await signIn('owner@example.com');
    assert.equal((await call('POST', '/me/passkeys/options', { session })).statusCode, 200);
    const bogus = await call('POST', '/me/passkeys', { session, body: { name: 'Fake', response: fake } });
    assert.equal(bogus.statusCode, 400);
    assert.equal(bogus.json().code, 'PASSKEY_REJECTED');
    assert.deepEqual((await call('GET', '/me/passkeys', { session })).json(), []);
    const malformed = await call('POST', '/session/passkey', { body: { response: { id: 'x' } } });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().code, 'VALIDATION_FAILED');
  });
});

describe('an admin resets a member’s lost second factors', () => {
  test('the member’s app, codes and passkeys go, their sessions end, and they sign in with the password alone', async () => {
    const owner = (await platform.identity.members(acme.slug)).find((m) => m.email === 'owner@example.com')!;
    await platform.identity.updateSecuritySettings(
      acme.slug,
      { kind: 'user', name: owner.email, userId: owner.id, role: 'owner' },
      { requireTwoFactor: false },
      { ip: '127.0.0.1' },
    );
    const member = (await platform.identity.members(acme.slug)).find((m) => m.email === 'member@example.com')!;
    const first = await call('POST', '/session', { body: { email: 'member@example.com', password } });
    assert.ok(first.json().secondFactor, 'the member has an authenticator app (set up above)');

    const byMember = await call('DELETE', `/members/${owner.id}/second-factors`, {
      session: await signIn('new.person@example.com'),
    });
    assert.equal(byMember.statusCode, 403, 'an admin cannot reset an owner');
    const session = await signIn('owner@example.com');
    const self = await call('DELETE', `/members/${owner.id}/second-factors`, { session });
    assert.equal(self.statusCode, 403);
    const reset = await call('DELETE', `/members/${member.id}/second-factors`, { session });
    assert.equal(reset.statusCode, 204, reset.body);

    const again = await call('POST', '/session', { body: { email: 'member@example.com', password } });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().secondFactor, undefined);
    assert.deepEqual(again.json().twoFactor, { totp: false, recoveryCodesLeft: 0, passkeys: 0, setupRequired: false });
    assert.deepEqual(await auditActions('two_factor.reset'), ['two_factor.reset member@example.com']);
  });
});
