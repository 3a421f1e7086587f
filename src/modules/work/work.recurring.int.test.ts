import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { workFixture, type WorkFixture } from '../../../test/helpers/work.js';
import { manualClock } from '../../platform/clock/clock.js';

type Who = 'ada' | 'bob' | 'vi';
let fixture: WorkFixture<Who>;
// A Tuesday, at noon UTC.
const clock = manualClock(new Date('2026-12-01T12:00:00Z'));
const call: WorkFixture<Who>['call'] = (...args) => fixture.call(...args);
const ok: WorkFixture<Who>['ok'] = (...args) => fixture.ok(...args);
const day = 86_400_000;

before(async () => {
  fixture = await workFixture({ ada: 'owner', bob: 'member', vi: 'viewer' }, { clock, bearer: true });
  const { people } = fixture;
  await ok(call('ada', 'POST', '/projects', { key: 'OPS', name: 'Operations' }), 201);
  await ok(call('ada', 'PUT', `/projects/OPS/members/${people.bob.id}`, { role: 'member' }));
  await ok(call('ada', 'PUT', `/projects/OPS/members/${people.vi.id}`, { role: 'viewer' }));
  await ok(
    call('bob', 'POST', '/projects/OPS/tasks', {
      title: 'Check the backups',
      priority: 'high',
      assigneeIds: [people.bob.id],
    }),
    201,
  );
});
after(() => fixture.close());

/** The copies made of OPS-1: their keys and due dates. */
async function copies(): Promise<Array<[string, string]>> {
  const page = await ok(call('bob', 'GET', '/tasks?project=OPS&sort=key&q=backups'));
  return page.items
    .filter((task: { key: string }) => task.key !== 'OPS-1')
    .map((task: { key: string; dueDate: string }) => [task.key, task.dueDate]);
}

describe('recurring tasks', () => {
  test('a rule reads back in words with its next day; bad rules are refused, a viewer may not set one', async () => {
    const rule = await ok(
      call('bob', 'PUT', '/tasks/OPS-1/recurrence', { frequency: 'weekly', weekdays: [1, 4], endsOn: '2026-12-31' }),
    );
    assert.equal(rule.description, 'every week on Monday and Thursday, from 2026-12-01 until 2026-12-31');
    assert.equal(rule.nextOn, '2026-12-03');
    assert.equal((await ok(call('vi', 'GET', '/tasks/OPS-1/recurrence'))).nextOn, '2026-12-03');
    const backwards = await call('bob', 'PUT', '/tasks/OPS-1/recurrence', {
      frequency: 'daily',
      startsOn: '2026-12-10',
      endsOn: '2026-12-01',
    });
    assert.equal(backwards.statusCode, 400);
    assert.match(backwards.json().detail, /cannot end before it starts/);
    const weekdays = await call('bob', 'PUT', '/tasks/OPS-1/recurrence', { frequency: 'daily', weekdays: [1] });
    assert.equal(weekdays.statusCode, 400);
    assert.equal((await call('vi', 'PUT', '/tasks/OPS-1/recurrence', { frequency: 'daily' })).statusCode, 403);
  });

  test('on its day a copy is made, due that day, assigned as the task is; running again makes nothing', async () => {
    assert.deepEqual(await fixture.runJob('work.recur'), { made: 0, failed: 0 }, 'Tuesday: nothing due');
    clock.advance(2 * day); // Thursday
    assert.deepEqual(await fixture.runJob('work.recur'), { made: 1, failed: 0 });
    assert.deepEqual(await fixture.runJob('work.recur'), { made: 0, failed: 0 });
    assert.deepEqual(await copies(), [['OPS-2', '2026-12-03']]);
    const copy = await ok(call('bob', 'GET', '/tasks/OPS-2'));
    assert.equal(copy.priority, 'high');
    assert.deepEqual(
      copy.assignees.map((person: { name: string }) => person.name),
      ['BOB'],
    );
    assert.equal((await ok(call('bob', 'GET', '/tasks/OPS-1/recurrence'))).nextOn, '2026-12-07');
  });

  test('two schedulers at once make one copy of an occurrence', async () => {
    clock.advance(4 * day); // Monday the 7th
    const [first, second] = await Promise.all([fixture.runJob('work.recur'), fixture.runJob('work.recur')]);
    assert.equal(Number(first?.made) + Number(second?.made), 1);
    assert.deepEqual((await copies()).at(-1), ['OPS-3', '2026-12-07']);
  });

  test('after a stop nothing more is made; the history says who set and stopped it', async () => {
    assert.equal((await call('bob', 'DELETE', '/tasks/OPS-1/recurrence')).statusCode, 204);
    const stopped = await call('bob', 'GET', '/tasks/OPS-1/recurrence');
    assert.equal(stopped.statusCode, 200);
    assert.equal(stopped.json(), null, 'a task that does not repeat has no rule');
    clock.advance(3 * day);
    assert.deepEqual(await fixture.runJob('work.recur'), { made: 0, failed: 0 });
    const history = await ok(call('bob', 'GET', '/tasks/OPS-1/activity'));
    const changes = history.filter((entry: { field: string }) => entry.field === 'recurrence');
    assert.equal(changes.at(-1).after, null);
    assert.match(changes[0].after, /every week on Monday and Thursday/);
  });
});
