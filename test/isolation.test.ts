import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * Tenant isolation over the whole tenant API, generated from the route table (the OpenAPI
 * document every route joins): a route added later is covered without editing this test. Ada
 * owns workspace A; Bea owns workspace B. With Ada's session and Ada's API token, every route is
 * called on B's host, and on A's host against B's objects. Nothing of B may come back, and B
 * must be as it was.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Route {
  method: Method;
  path: string;
  body?: JsonSchema;
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  $ref?: string;
}

const password = 'correct horse battery staple 42';
let platform: TestPlatform;
let app: FastifyInstance;
let a: TenantView;
let b: TenantView;
let routes: Route[];
let components: Record<string, JsonSchema>;
/** Ids and addresses of B's objects: the markers that must never come back on A's credentials. */
const bObjects: Record<string, string> = {};
/** B's project, task, comment and attachment as B's owner reads them. */
let workOfB: () => Promise<string> = async () => '';

interface Credentials {
  headers: () => Promise<Record<string, string>>;
}

async function session(tenant: TenantView, email: string): Promise<{ cookie: string; csrf: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(tenant.slug) },
    payload: { email, password },
  });
  assert.equal(response.statusCode, 200, response.body);
  const cookie = response.cookies.find((c) => c.name === 'steadfast_session')!;
  return { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken };
}

/** Values known to pass common string rules; anything else gets a filler of the right length. */
const knownPatterns: Array<[RegExp, string]> = [
  [/\\d\{3\}/, '123456'],
  [/\{5\}-\?/, 'abcde-23456'],
  [/\^\[a-z\]\[a-z0-9_\.\]/, 'session.'],
];

/** A body that passes a route's schema, referring to B's objects wherever an id is asked for. */
function sample(schema: JsonSchema | undefined, key = ''): unknown {
  if (!schema) return undefined;
  if (schema.$ref) return sample(components[schema.$ref.split('/').pop()!], key);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return sample(options.find((option) => option.type !== 'null') ?? options[0], key);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([name]) => schema.required?.includes(name))
          .map(([name, property]) => [name, sample(property, name)]),
      );
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return 1;
    default:
      if (schema.format === 'email') return `isolation-${key}@example.com`;
      if (schema.format === 'uuid') return bObjects.memberId;
      if (schema.format === 'date-time') return new Date().toISOString();
      if (key === 'password' || key === 'currentPassword' || key === 'newPassword') return password;
      for (const [pattern, value] of knownPatterns) if (schema.pattern && pattern.test(schema.pattern)) return value;
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 43));
  }
}

function call(
  route: Route,
  host: TenantView,
  headers: Record<string, string>,
  path = route.path,
): Promise<LightMyRequestResponse> {
  const body = sample(route.body);
  return app.inject({
    method: route.method,
    url: path,
    headers: { host: hostOf(host.slug), ...headers },
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

/** Every marker of B found in a response body, past the request's own path (a problem document's `instance`). */
const leaks = (body: string, path: string): string[] => {
  const rest = body.replaceAll(path, '');
  return Object.values(bObjects).filter((marker) => rest.includes(marker));
};

/** B's state as its owner sees it, to compare before and after. */
async function snapshotOfB(): Promise<string> {
  const members = await platform.identity.members(b.slug);
  const owner = members.find((m) => m.email === bObjects.ownerEmail)!;
  return JSON.stringify({
    members,
    sessions: (await platform.identity.accounts.sessions(b.slug, owner.id)).map((s) => s.id),
    tokens: await platform.identity.accounts.tokens(b.slug, owner.id),
    invitations: await platform.identity.invitations(b.slug),
    security: await platform.identity.securitySettings(b.slug),
    work: await workOfB(),
  });
}

before(async () => {
  platform = await createTestPlatform({ signInRateLimitPerMinute: 100_000, rateLimitPerMinute: 100_000 });
  app = await buildTestApp(platform);
  a = await buildTenant(platform);
  b = await buildTenant(platform);
  for (const [tenant, prefix] of [
    [a, 'ada'],
    [b, 'bea'],
  ] as const) {
    await platform.identity.createUser(
      tenant.slug,
      { email: `${prefix}@${tenant.slug}.example`, name: prefix, role: 'owner', password },
      { actor: 'operator:test' },
    );
    await platform.identity.createUser(
      tenant.slug,
      { email: `${prefix}-member@${tenant.slug}.example`, name: `${prefix} member`, role: 'member', password },
      { actor: 'operator:test' },
    );
  }
  // B's objects: a member, a session, a token and an invitation.
  const bOwner = (await platform.identity.members(b.slug)).find((m) => m.role === 'owner')!;
  const bMember = (await platform.identity.members(b.slug)).find((m) => m.role === 'member')!;
  const bSession = await session(b, bOwner.email);
  const token = await app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: { host: hostOf(b.slug), cookie: bSession.cookie, 'x-csrf-token': bSession.csrf },
    payload: { name: 'b token', scope: 'read-write', expiresInDays: 30 },
  });
  assert.equal(token.statusCode, 201, token.body);
  const invitation = await app.inject({
    method: 'POST',
    url: '/api/v1/invitations',
    headers: { host: hostOf(b.slug), cookie: bSession.cookie, 'x-csrf-token': bSession.csrf },
    payload: { email: `invited@${b.slug}.example` },
  });
  Object.assign(bObjects, {
    ownerEmail: bOwner.email,
    memberEmail: bMember.email,
    ownerId: bOwner.id,
    memberId: bMember.id,
    sessionId: (await platform.identity.accounts.sessions(b.slug, bOwner.id))[0]!.id,
    tokenId: token.json().id,
    tokenSecret: token.json().token,
    invitationId: invitation.json().id,
    invitedEmail: `invited@${b.slug}.example`,
  });

  // B's work: a project, a task, a comment and an attachment, by id and by key.
  const asB = (method: Method, url: string, payload?: object | Buffer, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { host: hostOf(b.slug), authorization: `Bearer ${bObjects.tokenSecret}`, ...headers },
      ...(payload ? { payload } : {}),
    });
  const project = await asB('POST', '/projects', { key: 'BQZX', name: 'b secret project' });
  assert.equal(project.statusCode, 201, project.body);
  const task = await asB('POST', '/projects/BQZX/tasks', { title: 'b secret task' });
  assert.equal(task.statusCode, 201, task.body);
  const comment = await asB('POST', '/tasks/BQZX-1/comments', { body: 'b secret comment' });
  assert.equal(comment.statusCode, 201, comment.body);
  const file = await asB('POST', '/tasks/BQZX-1/attachments?name=b-secret.txt', Buffer.from('b secret file'), {
    'content-type': 'text/plain',
  });
  assert.equal(file.statusCode, 201, file.body);
  Object.assign(bObjects, {
    projectId: project.json().id,
    projectKey: 'BQZX',
    taskId: task.json().id,
    taskKey: 'BQZX-1',
    commentId: comment.json().id,
    attachmentId: file.json().id,
  });
  workOfB = async () =>
    JSON.stringify(
      await Promise.all(
        ['/projects/BQZX', '/tasks/BQZX-1', '/tasks/BQZX-1/comments', '/tasks/BQZX-1/attachments'].map(async (url) =>
          (await asB('GET', url)).json(),
        ),
      ),
    );

  const document = (await app.inject({ url: '/api/v1/openapi.json', headers: { host: hostOf(a.slug) } })).json();
  components = document.components?.schemas ?? {};
  routes = Object.entries(
    document.paths as Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
    >,
  ).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase() as Method,
      path,
      body: operation.requestBody?.content['application/json']?.schema,
    })),
  );
});
after(async () => {
  await app.close();
  await platform.destroy();
});

/** Ada's session cookie (a fresh one per request: some routes end it) and her read-write token. */
async function adaCredentials(): Promise<Array<[string, Credentials]>> {
  const email = `ada@${a.slug}.example`;
  const adaOwner = await session(a, email);
  const token = await app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: { host: hostOf(a.slug), cookie: adaOwner.cookie, 'x-csrf-token': adaOwner.csrf },
    payload: { name: 'ada token', scope: 'read-write', expiresInDays: 30 },
  });
  const secret = token.json().token as string;
  return [
    [
      'session',
      {
        headers: async () => {
          const fresh = await session(a, email);
          return { cookie: fresh.cookie, 'x-csrf-token': fresh.csrf };
        },
      },
    ],
    ['token', { headers: async () => ({ authorization: `Bearer ${secret}` }) }],
  ];
}

/** A path with its `{param}`s filled by one of B's ids. */
const withIds = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);
const idsOfB = () => [
  bObjects.memberId!,
  bObjects.ownerId!,
  bObjects.sessionId!,
  bObjects.tokenId!,
  bObjects.invitationId!,
  bObjects.projectId!,
  bObjects.projectKey!,
  bObjects.taskId!,
  bObjects.taskKey!,
  bObjects.commentId!,
  bObjects.attachmentId!,
];

describe('tenant isolation, generated from the route table', () => {
  test('the route table is read: the identity routes are there', () => {
    assert.ok(routes.length >= 20, `${routes.length} routes`);
    assert.ok(routes.some((r) => r.method === 'DELETE' && r.path === '/api/v1/members/{id}'));
  });

  test("on B's host, A's session and A's token get nothing an anonymous caller would not, and nothing of B", async () => {
    const before = await snapshotOfB();
    for (const [kind, credentials] of await adaCredentials())
      for (const route of routes) {
        for (const path of route.path.includes('{') ? idsOfB().map((id) => withIds(route.path, id)) : [route.path]) {
          const withA = await call(route, b, await credentials.headers(), path);
          const anonymous = await call(route, b, {}, path);
          const what = `${kind}: ${route.method} ${path} -> ${withA.statusCode}`;
          assert.ok(
            withA.statusCode === 401 || withA.statusCode === anonymous.statusCode,
            `${what}, anonymously ${anonymous.statusCode}: ${withA.body}`,
          );
          assert.deepEqual(leaks(withA.body, path), [], `${what} leaks B's objects`);
        }
      }
    assert.equal(await snapshotOfB(), before, "B's members, sessions, tokens, invitations and settings are unchanged");
  });

  test("on A's host, A's session and token reach none of B's objects by id", async () => {
    const before = await snapshotOfB();
    for (const [kind, credentials] of await adaCredentials())
      for (const route of routes.filter((r) => r.path.includes('{'))) {
        for (const id of idsOfB()) {
          const path = withIds(route.path, id);
          const response = await call(route, a, await credentials.headers(), path);
          const what = `${kind}: ${route.method} ${path} -> ${response.statusCode}`;
          assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${what}: ${response.body}`);
          assert.deepEqual(leaks(response.body, path), [], `${what} leaks B's objects`);
        }
      }
    assert.equal(await snapshotOfB(), before);
  });

  test("B's token and B's session cookie are refused on A's host", async () => {
    const bSession = await session(b, bObjects.ownerEmail!);
    for (const headers of [{ authorization: `Bearer ${bObjects.tokenSecret}` }, { cookie: bSession.cookie }]) {
      const response = await app.inject({ url: '/api/v1/me', headers: { host: hostOf(a.slug), ...headers } });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
    }
  });
});
