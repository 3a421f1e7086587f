import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import type { TenantView } from '../tenancy/index.js';
import { verifyAuditChain } from './identity.audit.js';
import { hashParameters } from './identity.passwords.js';
import type { IdentityDatabase, IdentityTables } from './identity.tables.js';

const clock = manualClock(new Date());
let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
let globex: TenantView;
const password = 'correct horse battery staple 42';

before(async () => {
  // Many sign-ins from one address here: the per-address limit is tested on its own.
  platform = await createTestPlatform({ signInRateLimitPerMinute: 1000 }, { clock });
  app = await buildTestApp(platform);
  acme = await buildTenant(platform);
  globex = await buildTenant(platform);
  for (const tenant of [acme, globex])
    await platform.identity.createUser(
      tenant.slug,
      { email: 'Ada@Example.com', name: 'Ada Lovelace', role: 'owner', password },
      { actor: 'operator:test' },
    );
});
after(async () => {
  await app.close();
  await platform.destroy();
});

function signIn(tenant: TenantView, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/v1/session', headers: { host: hostOf(tenant.slug) }, payload: body });
}

/** The session cookie as a browser would send it back. */
function cookieOf(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'steadfast_session');
  assert.ok(cookie, `no session cookie in ${JSON.stringify(response.headers['set-cookie'])}`);
  return `${cookie.name}=${cookie.value}`;
}

async function signedIn(tenant = acme): Promise<{ cookie: string; csrf: string }> {
  const response = await signIn(tenant, { email: 'ada@example.com', password });
  assert.equal(response.statusCode, 200, response.body);
  return { cookie: cookieOf(response), csrf: response.json().csrfToken };
}

const tenantDb = <R>(tenant: TenantView, work: (db: Kysely<IdentityDatabase>) => Promise<R>) =>
  platform.tenancy.withDatabase(tenant.slug, (db) => work(db.withTables<IdentityTables>()));

describe('signing in', () => {
  test('a right password starts a session: an HttpOnly, SameSite=Lax cookie, and /me answers the person with a CSRF token', async () => {
    const response = await signIn(acme, { email: ' ADA@example.com ', password });
    assert.equal(response.statusCode, 200, response.body);
    const set = String(response.headers['set-cookie']);
    assert.match(set, /^steadfast_session=[A-Za-z0-9_-]{43};/);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Lax/);
    assert.doesNotMatch(set, /Secure/, 'plain HTTP cannot carry a Secure cookie');
    const me = await app.inject({
      url: '/api/v1/me',
      headers: { host: hostOf(acme.slug), cookie: cookieOf(response) },
    });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user.email, 'ada@example.com');
    assert.equal(me.json().user.role, 'owner');
    assert.equal(me.json().csrfToken, response.json().csrfToken);
  });

  test('without credentials /me is a 401 problem document', async () => {
    const me = await app.inject({ url: '/api/v1/me', headers: { host: hostOf(acme.slug) } });
    assert.equal(me.statusCode, 401);
    assert.match(me.headers['content-type'] as string, /application\/problem\+json/);
    assert.equal(me.json().code, 'UNAUTHENTICATED');
  });

  test('a wrong password and an unknown address get the same answer', async () => {
    const wrong = await signIn(acme, { email: 'ada@example.com', password: 'not the password at all' });
    const unknown = await signIn(acme, { email: 'nobody@example.com', password: 'not the password at all' });
    for (const response of [wrong, unknown]) {
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().detail, 'The email address or the password is wrong.');
      assert.equal(response.headers['set-cookie'], undefined);
    }
    await tenantDb(acme, (db) => db.deleteFrom('sign_in_failures').execute());
  });

  test('after three failures in a row an address waits before the next try (429 with Retry-After), known or not, and the wait doubles', async () => {
    for (const email of ['ada@example.com', 'ghost@example.com']) {
      for (let attempt = 1; attempt <= 4; attempt++) {
        const response = await signIn(acme, { email, password: 'wrong wrong wrong' });
        assert.equal(response.statusCode, 401, `attempt ${attempt}`);
      }
      const locked = await signIn(acme, { email, password });
      assert.equal(locked.statusCode, 429, locked.body);
      assert.equal(locked.headers['retry-after'], '2');
      assert.match(locked.json().detail, /Try again in 2 s/);
      clock.advance(2_000);
      assert.equal((await signIn(acme, { email, password: 'wrong again, wrong' })).statusCode, 401);
      assert.equal((await signIn(acme, { email, password })).headers['retry-after'], '4');
      clock.advance(4_000);
    }
    assert.equal(
      (await signIn(acme, { email: 'ada@example.com', password })).statusCode,
      200,
      'a success after the wait',
    );
    const left = await tenantDb(acme, (db) => db.selectFrom('sign_in_failures').select('email').execute());
    assert.deepEqual(left, [{ email: 'ghost@example.com' }], 'a success clears the count of its address only');
  });

  test('a malformed body gets a readable validation problem', async () => {
    const response = await signIn(acme, { email: 'not-an-address', password: '' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'VALIDATION_FAILED');
    assert.match(JSON.stringify(response.json().errors), /Give an email address/);
  });
});

describe('sessions', () => {
  test('a change with the session cookie but without its CSRF token is refused; with it, signing out ends the session', async () => {
    const { cookie, csrf } = await signedIn();
    const host = hostOf(acme.slug);
    const forged = await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { host, cookie } });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().code, 'CSRF_REJECTED');
    const wrong = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { host, cookie, 'x-csrf-token': 'x'.repeat(43) },
    });
    assert.equal(wrong.statusCode, 403);
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { host, cookie, 'x-csrf-token': csrf },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /steadfast_session=;/);
    const after = await app.inject({ url: '/api/v1/me', headers: { host, cookie } });
    assert.equal(after.statusCode, 401);
    assert.match(after.json().detail, /Your session has ended/);
  });

  test('a session lists the person’s sessions, and revoking one signs that device out', async () => {
    const laptop = await signedIn();
    const phone = await signedIn();
    const host = hostOf(acme.slug);
    const listed = await app.inject({ url: '/api/v1/me/sessions', headers: { host, cookie: laptop.cookie } });
    const sessions = listed.json() as Array<{ id: string; current: boolean }>;
    assert.ok(sessions.length >= 2);
    assert.equal(sessions.filter((s) => s.current).length, 1);
    const phoneMe = await app.inject({ url: '/api/v1/me/sessions', headers: { host, cookie: phone.cookie } });
    const phoneId = (phoneMe.json() as Array<{ id: string; current: boolean }>).find((s) => s.current)!.id;
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${phoneId}`,
      headers: { host, cookie: laptop.cookie, 'x-csrf-token': laptop.csrf },
    });
    assert.equal(revoked.statusCode, 204);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: phone.cookie } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: laptop.cookie } })).statusCode, 200);
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${phoneId}`,
      headers: { host, cookie: laptop.cookie, 'x-csrf-token': laptop.csrf },
    });
    assert.equal(again.statusCode, 404);
  });

  test('a session unused for 30 minutes has ended; one in use lasts until 12 hours after sign-in', async () => {
    const host = hostOf(acme.slug);
    const idle = await signedIn();
    const busy = await signedIn();
    for (let minutes = 0; minutes < 31; minutes += 10) {
      clock.advance(10 * 60_000);
      assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: busy.cookie } })).statusCode, 200);
    }
    assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: idle.cookie } })).statusCode, 401);
    for (let minutes = 40; minutes < 700; minutes += 20) {
      clock.advance(20 * 60_000);
      assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: busy.cookie } })).statusCode, 200);
    }
    clock.advance(20 * 60_000); // 12 hours after sign-in, 20 minutes after its last use
    assert.equal((await app.inject({ url: '/api/v1/me', headers: { host, cookie: busy.cookie } })).statusCode, 401);
  });

  test("a session of one workspace is nothing on another's host", async () => {
    const { cookie } = await signedIn(acme);
    const there = await app.inject({ url: '/api/v1/me', headers: { host: hostOf(globex.slug), cookie } });
    assert.equal(there.statusCode, 401);
  });
});

describe('API tokens', () => {
  async function makeToken(
    scope: 'read' | 'read-write',
    expiresInDays?: number,
  ): Promise<{ id: string; token: string }> {
    const { cookie, csrf } = await signedIn();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: { host: hostOf(acme.slug), cookie, 'x-csrf-token': csrf },
      payload: { name: `CI ${scope}`, scope, ...(expiresInDays ? { expiresInDays } : {}) },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  }
  const bearer = (token: string, tenant = acme) => ({ host: hostOf(tenant.slug), authorization: `Bearer ${token}` });

  test('a token is shown once, listed without its secret, and answers /me as its owner with no CSRF token', async () => {
    const made = await makeToken('read-write');
    assert.match(made.token, /^sft_[A-Za-z0-9_-]{43}$/);
    const me = await app.inject({ url: '/api/v1/me', headers: bearer(made.token) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user.email, 'ada@example.com');
    assert.equal(me.json().csrfToken, null);
    const listed = await app.inject({ url: '/api/v1/me/tokens', headers: bearer(made.token) });
    assert.ok(listed.json().some((token: { id: string }) => token.id === made.id));
    assert.doesNotMatch(listed.body, /sft_/);
  });

  test('a read token reads but changes nothing; a read-write one acts without CSRF; neither makes tokens', async () => {
    const read = await makeToken('read');
    const write = await makeToken('read-write');
    assert.equal((await app.inject({ url: '/api/v1/me/sessions', headers: bearer(read.token) })).statusCode, 200);
    const refused = await app.inject({
      method: 'DELETE',
      url: `/api/v1/me/tokens/${write.id}`,
      headers: bearer(read.token),
    });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().detail, /read-only token/);
    const byToken = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: bearer(write.token),
      payload: { name: 'another', scope: 'read' },
    });
    assert.equal(byToken.statusCode, 403);
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/api/v1/me/tokens/${read.id}`,
      headers: bearer(write.token),
    });
    assert.equal(revoked.statusCode, 204);
    const after = await app.inject({ url: '/api/v1/me', headers: bearer(read.token) });
    assert.equal(after.statusCode, 401);
    assert.match(after.json().detail, /unknown, expired or revoked/);
  });

  test('a token expires after its days, and is nothing on another workspace', async () => {
    const short = await makeToken('read', 1);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: bearer(short.token, globex) })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: bearer(short.token) })).statusCode, 200);
    clock.advance(86_400_000);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: bearer(short.token) })).statusCode, 401);
  });

  test('a malformed request to make a token gets a readable problem', async () => {
    const { cookie, csrf } = await signedIn();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: { host: hostOf(acme.slug), cookie, 'x-csrf-token': csrf },
      payload: { name: '', scope: 'admin', expiresInDays: 1000 },
    });
    assert.equal(response.statusCode, 400);
    const fields = (response.json().errors as Array<{ path: string }>).map((error) => error.path).sort();
    assert.deepEqual(fields, ['expiresInDays', 'name', 'scope']);
  });
});

describe('accounts', () => {
  test('a weak or short password is refused, saying why', async () => {
    await assert.rejects(
      platform.identity.createUser(
        acme.slug,
        { email: 'bob@example.com', name: 'Bob', role: 'member', password: 'short' },
        { actor: 'operator:test' },
      ),
      /at least 12 characters; this one has 5/,
    );
    await assert.rejects(
      platform.identity.createUser(
        acme.slug,
        { email: 'bob@example.com', name: 'Bob', role: 'member', password: 'password1234' },
        { actor: 'operator:test' },
      ),
      /too easy to guess/,
    );
  });

  test('a password hashed with older parameters is rehashed at the next sign-in', async () => {
    const { hash } = await import('@node-rs/argon2');
    const old = await hash(password, { ...hashParameters, memoryCost: 8192, timeCost: 1 });
    await tenantDb(globex, (db) => db.updateTable('users').set({ password_hash: old }).execute());
    await signedIn(globex);
    const [row] = await tenantDb(globex, (db) => db.selectFrom('users').select('password_hash').execute());
    assert.match(row!.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('the audit log', () => {
  test('records sign-ins and failures, refuses changes, and its chain names the first entry altered behind its back', async () => {
    const entries = await tenantDb(acme, (db) =>
      db.selectFrom('audit_log').select(['id', 'action', 'target']).orderBy('id').execute(),
    );
    const actions = new Set(entries.map((entry) => entry.action));
    for (const action of [
      'user.created',
      'session.signed_in',
      'session.sign_in_failed',
      'session.signed_out',
      'session.revoked',
    ])
      assert.ok(actions.has(action), `${action} is in the log`);
    assert.deepEqual(await tenantDb(acme, verifyAuditChain), { entries: entries.length });
    await assert.rejects(
      tenantDb(acme, (db) => db.updateTable('audit_log').set({ target: 'someone else' }).execute()),
      /the audit log is append-only: UPDATE is not allowed/,
    );
    await assert.rejects(
      tenantDb(acme, (db) => db.deleteFrom('audit_log').execute()),
      /append-only: DELETE/,
    );
    // Behind the application's back: the owner switches the trigger off and edits an entry.
    const victim = entries[2]!;
    await tenantDb(acme, async (db) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(db);
      await db.updateTable('audit_log').set({ target: 'someone else' }).where('id', '=', victim.id).execute();
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(db);
    });
    const verified = await tenantDb(acme, verifyAuditChain);
    assert.deepEqual(verified.broken, { id: victim.id, reason: 'it was altered after it was written' });
    await tenantDb(acme, async (db) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(db);
      await db.deleteFrom('audit_log').where('id', '=', victim.id).execute();
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(db);
    });
    const removed = await tenantDb(acme, verifyAuditChain);
    assert.equal(removed.broken?.id, entries[3]!.id);
    assert.equal(removed.broken!.reason, `entries ${victim.id} to ${victim.id} were removed`);
  });
});
