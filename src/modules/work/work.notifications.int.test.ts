import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { workFixture, type WorkFixture } from '../../../test/helpers/work.js';
import { manualClock } from '../../platform/clock/clock.js';

type Who = 'ada' | 'bob' | 'cy';
let fixture: WorkFixture<Who>;
const clock = manualClock(new Date());
const call: WorkFixture<Who>['call'] = (...args) => fixture.call(...args);
const ok: WorkFixture<Who>['ok'] = (...args) => fixture.ok(...args);

before(async () => {
  fixture = await workFixture({ ada: 'owner', bob: 'member', cy: 'member' }, { clock });
  await ok(call('ada', 'POST', '/projects', { key: 'OPS', name: 'Operations' }), 201);
  await ok(call('ada', 'PUT', `/projects/OPS/members/${fixture.people.bob.id}`, { role: 'member' }));
});
after(() => fixture.close());

const summaries = async (who: Who, query = '') =>
  (await ok(call(who, 'GET', `/notifications${query}`))).items.map((item: { summary: string }) => item.summary);

const runJob = (type: string) => fixture.runJob(type);

describe('notifications', () => {
  test('an assignee is told, the person who assigned is not', async () => {
    await ok(
      call('ada', 'POST', '/projects/OPS/tasks', { title: 'Rotate keys', assigneeIds: [fixture.people.bob.id] }),
      201,
    );
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
    const [mail] = await fixture.platform.mail.list({ limit: 5, to: 'bob@example.com' });
    assert.equal(mail!.kind, 'work.digest');
    assert.match(mail!.subject, /OPS-1 "Rotate keys" is due/);
    assert.match(mail!.body!, /\/projects\/OPS\/tasks\/OPS-1/);
    assert.match(mail!.body!, /\/account/);
    assert.deepEqual(await runJob('work.digest'), { mailed: 0 }, 'each notification is mailed once');
  });
});
