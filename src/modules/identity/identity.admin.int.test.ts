import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import type { TenantView } from '../tenancy/index.js';
import type { Role } from './identity.tables.js';

let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
const password = 'correct horse battery staple 42';
const people: Record<string, { id: string; headers: Record<string, string> }> = {};

/** A member of acme with `role`, signed in: their id and the headers of their requests. */
async function member(email: string, role: Role): Promise<{ id: string; headers: Record<string, string> }> {
  const user = await platform.identity.createUser(
    acme.slug,
    { email, name: email.split('@')[0]!, role, password },
    { actor: 'operator:test' },
  );
  const signIn = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(acme.slug) },
    payload: { email, password },
  });
  assert.equal(signIn.statusCode, 200, signIn.body);
  const cookie = signIn.cookies.find((c) => c.name === 'steadfast_session')!;
  return {
    id: user.id,
    headers: {
      host: hostOf(acme.slug),
      cookie: `${cookie.name}=${cookie.value}`,
      'x-csrf-token': signIn.json().csrfToken,
    },
  };
}

before(async () => {
  platform = await createTestPlatform();
  app = await buildTestApp(platform);
  acme = await buildTenant(platform);
  for (const [email, role] of [
    ['owner@example.com', 'owner'],
    ['admin@example.com', 'admin'],
    ['member@example.com', 'member'],
    ['viewer@example.com', 'viewer'],
  ] as const)
    people[role] = await member(email, role);
});
after(async () => {
  await app.close();
  await platform.destroy();
});

const setRole = (by: Role, id: string, role: Role) =>
  app.inject({ method: 'PATCH', url: `/api/v1/members/${id}`, headers: people[by]!.headers, payload: { role } });

describe('members and roles', () => {
  test('every member sees the members; only admins and owners change roles', async () => {
    const listed = await app.inject({ url: '/api/v1/members', headers: people.viewer!.headers });
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      listed.json().map((m: { email: string; role: string }) => `${m.email} ${m.role}`),
      ['admin@example.com admin', 'member@example.com member', 'owner@example.com owner', 'viewer@example.com viewer'],
    );
    const byMember = await setRole('member', people.viewer!.id, 'member');
    assert.equal(byMember.statusCode, 403);
    assert.equal(byMember.json().detail, 'Your role (member) does not allow you to change roles.');
    const byAdmin = await setRole('admin', people.viewer!.id, 'member');
    assert.equal(byAdmin.statusCode, 200);
    assert.equal(byAdmin.json().role, 'member');
    await setRole('admin', people.viewer!.id, 'viewer');
  });

  test('an admin makes no owner and changes no owner; an owner does', async () => {
    const promote = await setRole('admin', people.member!.id, 'owner');
    assert.equal(promote.statusCode, 403);
    assert.match(promote.json().detail, /cannot make or unmake owners; an owner can/);
    assert.equal((await setRole('admin', people.owner!.id, 'admin')).statusCode, 403);
    assert.equal((await setRole('owner', people.member!.id, 'owner')).statusCode, 200);
    assert.equal((await setRole('owner', people.member!.id, 'member')).statusCode, 200);
  });

  test('the last owner can neither step down nor be removed', async () => {
    const down = await setRole('owner', people.owner!.id, 'admin');
    assert.equal(down.statusCode, 409);
    assert.equal(
      down.json().detail,
      'owner@example.com is the last owner of this workspace and cannot step down: make someone else an owner first.',
    );
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${people.owner!.id}`,
      headers: people.owner!.headers,
    });
    assert.equal(removed.statusCode, 409);
  });

  test('a removed member is signed out everywhere and cannot sign in; an unknown id is a 404', async () => {
    const leaving = await member('leaving@example.com', 'member');
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${leaving.id}`,
      headers: people.admin!.headers,
    });
    assert.equal(removed.statusCode, 204);
    assert.equal((await app.inject({ url: '/api/v1/me', headers: leaving.headers })).statusCode, 401);
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { host: hostOf(acme.slug) },
      payload: { email: 'leaving@example.com', password },
    });
    assert.equal(signIn.statusCode, 401);
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${leaving.id}`,
      headers: people.admin!.headers,
    });
    assert.equal(again.statusCode, 404);
  });
});

describe('the audit log for admins', () => {
  test('admins read it newest first, filtered and paged; members may not', async () => {
    assert.equal((await app.inject({ url: '/api/v1/audit', headers: people.member!.headers })).statusCode, 403);
    const roles = await app.inject({ url: '/api/v1/audit?action=user.role_changed', headers: people.admin!.headers });
    assert.equal(roles.statusCode, 200, roles.body);
    const entries = roles.json().entries as Array<{
      id: number;
      actor: string;
      target: string;
      detail: { from: string; to: string };
    }>;
    assert.ok(entries.length >= 4);
    assert.deepEqual(
      entries.map((e) => e.id),
      [...entries.map((e) => e.id)].sort((a, b) => b - a),
      'newest first',
    );
    assert.deepEqual(entries.at(-1)!.detail, { from: 'viewer', to: 'member' });
    assert.equal(entries.at(-1)!.actor, 'user:admin@example.com');
    const sessions = await app.inject({ url: '/api/v1/audit?action=session.&limit=2', headers: people.admin!.headers });
    const page = sessions.json();
    assert.equal(page.entries.length, 2);
    assert.ok(page.entries.every((e: { action: string }) => e.action.startsWith('session.')));
    const next = await app.inject({
      url: `/api/v1/audit?action=session.&limit=2&before=${page.next}`,
      headers: people.admin!.headers,
    });
    assert.ok(next.json().entries.every((e: { id: number }) => e.id < page.next));
    const bad = await app.inject({ url: '/api/v1/audit?action=DROP%20TABLE', headers: people.admin!.headers });
    assert.equal(bad.statusCode, 400);
  });

  test('exports CSV a spreadsheet cannot be tricked by', async () => {
    await platform.identity.createUser(
      acme.slug,
      { email: 'csv@example.com', name: '=HYPERLINK("http://evil")', role: 'viewer' },
      { actor: '=cmd|calc' },
    );
    const csv = await app.inject({ url: '/api/v1/audit.csv?action=user.created', headers: people.owner!.headers });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.headers['content-disposition'] as string, /attachment; filename=".*-audit.csv"/);
    const lines = csv.body.trimEnd().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,action,target,ip,detail');
    assert.match(lines[1]!, /^\d+,[0-9T:.Z-]+,'=cmd\|calc,user\.created,csv@example\.com,,"\{""role"":""viewer""\}"$/);
  });
});
