import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildTenant } from '../../../test/helpers/factories.js';
import { buildTestApp, hostOf } from '../../../test/helpers/http.js';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import { manualClock } from '../../platform/clock/clock.js';
import type { JobContext } from '../../platform/jobs/queue.js';
import type { TenantView } from '../tenancy/index.js';
import { workJobs } from './work.jobs.js';

let platform: TestPlatform;
let app: FastifyInstance;
let acme: TenantView;
const clock = manualClock(new Date());
const password = 'correct horse battery staple 42';
const people: Record<'ada' | 'bob' | 'cy', { cookie: string; csrf: string; id: string }> = {} as never;
type Who = keyof typeof people;

before(async () => {
  platform = await createTestPlatform({ signInRateLimitPerMinute: 10_000, rateLimitPerMinute: 100_000 }, { clock });
  app = await buildTestApp(platform);
  acme = await buildTenant(platform);
  for (const [name, role] of Object.entries({ ada: 'owner', bob: 'member', cy: 'member' } as const)) {
    const user = await platform.identity.createUser(
      acme.slug,
      { email: `${name}@example.com`, name: name.toUpperCase(), role, password },
      { actor: 'operator:test' },
    );
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { host: hostOf(acme.slug) },
      payload: { email: `${name}@example.com`, password },
    });
    const cookie = response.cookies.find((c) => c.name === 'steadfast_session')!;
    people[name as Who] = { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken, id: user.id };
  }
  await ok(call('ada', 'POST', '/projects', { key: 'OPS', name: 'Operations' }), 201);
  await ok(call('ada', 'PUT', `/projects/OPS/members/${people.bob.id}`, { role: 'member' }));
});
after(async () => {
  await app.close();
  await platform.destroy();
});

function call(
  who: Who,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { host: hostOf(acme.slug), cookie: people[who].cookie, 'x-csrf-token': people[who].csrf, ...headers },
    ...(payload ? { payload } : {}),
  });
}

async function ok(response: Promise<LightMyRequestResponse>, status = 200) {
  const answer = await response;
  assert.equal(answer.statusCode, status, answer.body);
  return answer.json();
}

const summaries = async (who: Who, query = '') =>
  (await ok(call(who, 'GET', `/notifications${query}`))).items.map((item: { summary: string }) => item.summary);

function runJob(type: string) {
  const { jobs } = workJobs({ work: platform.work, workspaces: () => platform.tenancy.list(), mail: platform.mail });
  const job = jobs.find((candidate) => candidate.type === type)!;
  const context: JobContext = {
    jobId: type,
    attempt: 1,
    signal: new AbortController().signal,
    progress: async () => {},
  };
  return job.handle({}, context) as Promise<Record<string, number>>;
}

describe('notifications', () => {
  test('an assignee is told, the person who assigned is not', async () => {
    await ok(call('ada', 'POST', '/projects/OPS/tasks', { title: 'Rotate keys', assigneeIds: [people.bob.id] }), 201);
    assert.deepEqual(await summaries('bob'), ['ADA assigned you OPS-1 "Rotate keys"']);
    assert.deepEqual(await summaries('ada'), []);
  });

  test('a mention tells members of the project, and nobody outside it', async () => {
    await ok(call('bob', 'POST', '/tasks/OPS-1/comments', { body: 'Done soon, @ada. FYI @cy' }), 201);
    assert.deepEqual(await summaries('ada'), ['BOB mentioned you on OPS-1 "Rotate keys"']);
    assert.deepEqual(await summaries('cy'), [], 'cy is not in the project: she hears nothing of it');
  });

  test("a watched task's move tells its watchers, with the states by name", async () => {
    const project = await ok(call('ada', 'GET', '/projects/OPS'));
    const started = project.states.find((state: { name: string }) => state.name === 'In Progress').id;
    await ok(call('ada', 'PATCH', '/tasks/OPS-1', { stateId: started }, { 'if-match': '"1"' }));
    assert.equal((await summaries('bob'))[0], 'ADA moved OPS-1 "Rotate keys" from Todo to In Progress');
  });

  test('marking read: some by id, then all; the unread count follows', async () => {
    const page = await ok(call('bob', 'GET', '/notifications?unread=true'));
    assert.equal(page.unreadCount, 2);
    const left = await ok(call('bob', 'POST', '/notifications/read', { ids: [page.items[0].id] }));
    assert.equal(left.unreadCount, 1);
    assert.equal((await ok(call('bob', 'POST', '/notifications/read', { all: true }))).unreadCount, 0);
    assert.equal((await ok(call('bob', 'GET', '/notifications?unread=true'))).items.length, 0);
    assert.equal((await ok(call('bob', 'GET', '/notifications'))).items.length, 2, 'read ones stay listed');
    const nothing = await call('bob', 'POST', '/notifications/read', {});
    assert.equal(nothing.statusCode, 400);
  });

  test('a task due tomorrow tells its assignee once, however often the job runs', async () => {
    const tomorrow = new Date(clock.now().getTime() + 86_400_000).toISOString().slice(0, 10);
    const task = await ok(call('ada', 'GET', '/tasks/OPS-1'));
    await ok(call('ada', 'PATCH', '/tasks/OPS-1', { dueDate: tomorrow }, { 'if-match': `"${task.version}"` }));
    assert.deepEqual(await runJob('work.due-soon'), { notified: 1 });
    assert.deepEqual(await runJob('work.due-soon'), { notified: 0 });
    assert.equal((await summaries('bob', '?unread=true'))[0], `OPS-1 "Rotate keys" is due ${tomorrow}`);
  });

  test('what stays unread is mailed once in a digest, after it settles; "off" mails nothing', async () => {
    assert.deepEqual(await runJob('work.digest'), { mailed: 0 }, 'nothing has settled yet');
    clock.advance(11 * 60_000);
    await ok(call('cy', 'PUT', '/notifications/settings', { emailDigest: 'off' }));
    assert.deepEqual(await ok(call('cy', 'GET', '/notifications/settings')), { emailDigest: 'off' });
    const result = await runJob('work.digest');
    assert.deepEqual(result, { mailed: 2 }, 'ada (a mention) and bob (due soon)');
    const [mail] = await platform.mail.list({ limit: 5, to: 'bob@example.com' });
    assert.equal(mail!.kind, 'work.digest');
    assert.match(mail!.subject, /OPS-1 "Rotate keys" is due/);
    assert.match(mail!.body!, /\/projects\/OPS\/tasks\/OPS-1/);
    assert.match(mail!.body!, /\/account/);
    assert.deepEqual(await runJob('work.digest'), { mailed: 0 }, 'each notification is mailed once');
  });
});
