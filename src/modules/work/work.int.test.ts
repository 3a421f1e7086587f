import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { workFixture, type WorkFixture } from '../../../test/helpers/work.js';

type Who = 'ada' | 'bob' | 'cy' | 'vi';
let fixture: WorkFixture<Who>;
let people: WorkFixture<Who>['people'];
const call: WorkFixture<Who>['call'] = (...args) => fixture.call(...args);
const ok: WorkFixture<Who>['ok'] = (...args) => fixture.ok(...args);

before(async () => {
  fixture = await workFixture({ ada: 'owner', bob: 'member', cy: 'member', vi: 'viewer' });
  people = fixture.people;
});
after(() => fixture.close());

let project: { id: string; key: string; states: Array<{ id: string; name: string }> };
const stateId = (name: string) => project.states.find((state) => state.name === name)!.id;

describe('projects', () => {
  test('an owner starts a project with the default workflow and leads it; its key is taken once', async () => {
    const made = await ok(call('ada', 'POST', '/projects', { key: 'ops', name: 'Operations' }), 201);
    assert.equal(made.key, 'OPS');
    assert.equal(made.yourRole, 'lead');
    project = await ok(call('ada', 'GET', '/projects/OPS'));
    assert.deepEqual(
      project.states.map((state) => state.name),
      ['Backlog', 'Todo', 'In Progress', 'Done', 'Cancelled'],
    );
    const again = await call('ada', 'POST', '/projects', { key: 'OPS', name: 'Again' });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().detail, /OPS exists already/);
    await ok(call('ada', 'PUT', `/projects/OPS/members/${people.bob.id}`, { role: 'member' }));
    await ok(call('ada', 'PUT', `/projects/OPS/members/${people.vi.id}`, { role: 'viewer' }));
  });

  test('a project someone is not a member of is answered exactly as an unknown one', async () => {
    const hidden = await call('cy', 'GET', '/projects/OPS');
    const unknown = await call('cy', 'GET', '/projects/NOPE');
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.json().detail.replace('OPS', 'X'), unknown.json().detail.replace('NOPE', 'X'));
    assert.deepEqual(await ok(call('cy', 'GET', '/projects')), []);
    assert.equal((await ok(call('bob', 'GET', '/projects'))).length, 1);
  });

  test("the project's history records who added whom, newest first, a page at a time", async () => {
    const history = await ok(call('vi', 'GET', '/projects/OPS/activity?limit=2'));
    assert.deepEqual(
      history.map((entry: { field: string; after: { userId: string; role: string } }) => [entry.field, entry.after]),
      [
        ['project.member', { userId: people.vi.id, role: 'viewer' }],
        ['project.member', { userId: people.bob.id, role: 'member' }],
      ],
    );
    const older = await ok(call('vi', 'GET', `/projects/OPS/activity?before=${history[1].id}`));
    assert.ok(older.every((entry: { id: number }) => entry.id < history[1].id));
    assert.equal((await call('cy', 'GET', '/projects/OPS/activity')).statusCode, 404);
  });

  test('without a session nothing is answered but 401, whatever the body', async () => {
    const response = await call(null, 'POST', '/projects', { key: 1 });
    assert.equal(response.statusCode, 401);
  });
});

describe('tasks', () => {
  let task: { key: string; id: string; version: number };

  test('a member makes a task numbered in its project; reading it gives its ETag', async () => {
    task = await ok(
      call('bob', 'POST', '/projects/OPS/tasks', { title: 'Deploy the new router', priority: 'high' }),
      201,
    );
    assert.equal(task.key, 'OPS-1');
    const read = await call('vi', 'GET', '/tasks/ops-1');
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.headers.etag, '"1"');
    assert.equal(read.json().state.name, 'Todo');
    assert.equal((await call('vi', 'POST', '/projects/OPS/tasks', { title: 'x' })).statusCode, 403);
  });

  test('a change needs If-Match: none is 428, a stale one 412 with the current version, the right one applies', async () => {
    const none = await call('bob', 'PATCH', '/tasks/OPS-1', { title: 'Deploy the router' });
    assert.equal(none.statusCode, 428);
    const first = await call('bob', 'PATCH', '/tasks/OPS-1', { title: 'Deploy the router' }, { 'if-match': '"1"' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers.etag, '"2"');
    const stale = await call('ada', 'PATCH', '/tasks/OPS-1', { title: 'Mine' }, { 'if-match': '"1"' });
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.json().currentVersion, 2);
    assert.equal((await ok(call('ada', 'GET', '/tasks/OPS-1'))).title, 'Deploy the router');
  });

  test('every change is in the history: who, which field, before and after', async () => {
    const activity = await ok(call('vi', 'GET', '/tasks/OPS-1/activity'));
    const title = activity.find((entry: { field: string }) => entry.field === 'title');
    assert.deepEqual(
      { actor: title.actor, before: title.before, after: title.after },
      {
        actor: 'user:bob@example.com'.replace('user:', ''),
        before: 'Deploy the new router',
        after: 'Deploy the router',
      },
    );
  });

  test('a move a transition rule forbids is refused, naming the states allowed', async () => {
    await ok(
      call('ada', 'PUT', '/projects/OPS/rules', {
        rules: [{ fromStateId: stateId('Todo'), toStateId: stateId('In Progress'), roles: null }],
      }),
    );
    const refused = await call('bob', 'PATCH', '/tasks/OPS-1', { stateId: stateId('Done') }, { 'if-match': '"2"' });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json().detail, /cannot move from "Todo" to "Done".*allows only "In Progress"/);
    assert.deepEqual(refused.json().allowedStateIds, [stateId('In Progress')]);
    const moved = await ok(
      call('bob', 'PATCH', '/tasks/OPS-1', { stateId: stateId('In Progress') }, { 'if-match': '"2"' }),
    );
    assert.equal(moved.state.group, 'started');
  });

  test('an Idempotency-Key makes a POST once: the retry gets the same answer, another body with it is refused', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await call('bob', 'POST', '/projects/OPS/tasks', { title: 'Once' }, headers);
    const second = await call('bob', 'POST', '/projects/OPS/tasks', { title: 'Once' }, headers);
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(second.statusCode, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.json().id, first.json().id);
    const page = await ok(call('bob', 'GET', '/tasks?q=Once'));
    assert.equal(page.items.length, 1);
    const other = await call('bob', 'POST', '/projects/OPS/tasks', { title: 'Twice' }, headers);
    assert.equal(other.statusCode, 422);
  });

  test('pages follow the cursor: every task once, none twice', async () => {
    for (let index = 0; index < 5; index++)
      await ok(call('bob', 'POST', '/projects/OPS/tasks', { title: `Paged task ${index}` }), 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ key: string }>; nextCursor: string | null } = await ok(
        call('bob', 'GET', `/tasks?project=OPS&sort=key&limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...page.items.map((item) => item.key));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(seen.length, 7);
    assert.deepEqual(seen.slice(0, 3), ['OPS-1', 'OPS-2', 'OPS-3']);
    const bad = await call('bob', 'GET', '/tasks?sort=due&cursor=bm9wZQ');
    assert.equal(bad.statusCode, 400);
  });

  test('search finds a part of a word in a title, a word in a comment, and a key', async () => {
    await ok(call('bob', 'POST', '/tasks/OPS-2/comments', { body: 'The firewall needs a reboot, @ada' }), 201);
    const keys = async (q: string, sort = 'updated') =>
      (await ok(call('bob', 'GET', `/tasks?q=${encodeURIComponent(q)}&sort=${sort}`))).items.map(
        (item: { key: string }) => item.key,
      );
    for (const sort of ['updated', 'relevance']) {
      assert.deepEqual(await keys('rout', sort), ['OPS-1']);
      assert.deepEqual(await keys('firewall', sort), ['OPS-2']);
      assert.deepEqual(await keys('ops-3', sort), ['OPS-3']);
    }
    // Ranked: a task with the word in its title before one with it in a comment only.
    const titled = await ok(
      call('bob', 'POST', '/projects/OPS/tasks', { title: 'Firewall rules for the office' }),
      201,
    );
    assert.deepEqual(await keys('firewall', 'relevance'), [titled.key, 'OPS-2']);
  });

  test('a comment mentions by handle, and its Markdown is rendered without running anything', async () => {
    const comments = await ok(call('vi', 'GET', '/tasks/OPS-2/comments'));
    assert.deepEqual(
      comments[0].mentions.map((person: { handle: string }) => person.handle),
      ['ada'],
    );
    assert.match(comments[0].bodyHtml, /<span class="mention">@ada<\/span>/);
    const xss = await ok(
      call('bob', 'POST', '/projects/OPS/tasks', {
        title: '<img src=x onerror=alert(1)>',
        description: '<script>alert(1)</script> [click](javascript:alert(1)) **bold**',
      }),
      201,
    );
    assert.doesNotMatch(xss.descriptionHtml, /<script|href="javascript:|<img/);
    assert.match(xss.descriptionHtml, /&lt;script&gt;/, 'typed HTML is shown as text');
    assert.match(xss.descriptionHtml, /<strong>bold<\/strong>/);
    // A task's own answers carry the rendered description; a list, only the Markdown.
    assert.equal((await ok(call('bob', 'GET', `/tasks/${xss.key}`))).descriptionHtml, xss.descriptionHtml);
    const listed = (await ok(call('bob', 'GET', '/tasks?project=OPS&sort=created&limit=1'))).items[0];
    assert.equal(listed.key, xss.key);
    assert.equal(listed.description, xss.description);
    assert.ok(!('descriptionHtml' in listed));
  });

  test('custom fields are typed: a value outside a select is refused naming the field, a good one kept', async () => {
    const fields = await ok(
      call('ada', 'POST', '/projects/OPS/fields', { name: 'Severity', kind: 'select', options: ['S1', 'S2'] }),
      201,
    );
    const severity = fields[0].id;
    const bad = await call('bob', 'POST', '/projects/OPS/tasks', { title: 'Sev', fields: { [severity]: 'S9' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /Severity: choose one of "S1", "S2"/);
    const good = await ok(
      call('bob', 'POST', '/projects/OPS/tasks', { title: 'Sev', fields: { [severity]: 'S2' } }),
      201,
    );
    const found = await ok(call('bob', 'GET', `/tasks?field=${severity}:S2`));
    assert.deepEqual(
      found.items.map((item: { key: string }) => item.key),
      [good.key],
    );
  });

  test('a task of a project one is not in is 404 exactly as an unknown one, for reads and changes', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/comments'],
      ['GET', '/activity'],
      ['PATCH', ''],
      ['POST', '/comments'],
    ] as const) {
      const hidden = await call('cy', method, `/tasks/OPS-1${suffix}`, method === 'GET' ? undefined : { body: 'x' }, {
        'if-match': '"1"',
      });
      const unknown = await call(
        'cy',
        method,
        `/tasks/OPS-999${suffix}`,
        method === 'GET' ? undefined : { body: 'x' },
        {
          'if-match': '"1"',
        },
      );
      assert.equal(hidden.statusCode, unknown.statusCode, `${method} ${suffix}: ${hidden.body}`);
      assert.equal(hidden.statusCode, method === 'PATCH' ? 400 : 404, `${method} ${suffix}: ${hidden.body}`);
    }
  });

  test("lists show only the tasks of projects one may see; naming another's project is 404 as an unknown one", async () => {
    assert.deepEqual((await ok(call('cy', 'GET', '/tasks'))).items, []);
    assert.deepEqual((await ok(call('cy', 'GET', '/tasks?q=firewall&sort=relevance'))).items, []);
    const ops = await ok(call('ada', 'GET', '/projects/OPS'));
    for (const ref of ['OPS', 'ops', ops.id]) {
      const hidden = await call('cy', 'GET', `/tasks?project=${ref}`);
      assert.equal(hidden.statusCode, 404, hidden.body);
      assert.equal(hidden.json().detail, (await call('cy', 'GET', '/tasks?project=NOPE')).json().detail);
    }
    for (const who of ['ada', 'bob', 'vi'] as const) {
      const all = await ok(call(who, 'GET', '/tasks?limit=100'));
      assert.ok(all.items.length > 0 && all.items.every((item: { projectKey: string }) => item.projectKey === 'OPS'));
      assert.deepEqual((await ok(call(who, 'GET', '/tasks?project=ops&limit=100'))).items, all.items);
    }
  });
});

describe('saved views', () => {
  test("a personal view is its owner's alone; GET /tasks?view= answers its filters", async () => {
    const mine = await ok(
      call('bob', 'POST', '/projects/OPS/views', { name: 'Started', query: { group: 'started', sort: 'key' } }),
      201,
    );
    assert.equal(mine.shared, false);
    assert.equal(mine.yours, true);
    const page = await ok(call('bob', 'GET', `/tasks?view=${mine.id}`));
    assert.ok(page.items.length >= 1);
    assert.ok(page.items.every((task: { state: { group: string } }) => task.state.group === 'started'));
    assert.equal((await ok(call('ada', 'GET', '/projects/OPS/views'))).length, 0, "a lead does not see bob's own");
    assert.equal((await call('ada', 'GET', `/tasks?view=${mine.id}`)).statusCode, 404);
    assert.equal((await call('cy', 'GET', `/tasks?view=${mine.id}`)).statusCode, 404);
    const again = await call('bob', 'POST', '/projects/OPS/views', { name: 'started' });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().detail, /A view named "started" exists already/);
  });

  test('filters are checked as the task list checks them, and named in the error', async () => {
    const bad = await call('bob', 'POST', '/projects/OPS/views', { name: 'Bad', query: { group: 'nope' } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.ok(
      bad.json().errors.some((error: { path: string }) => error.path.startsWith('query.group')),
      bad.body,
    );
    const unknown = await call('bob', 'POST', '/projects/OPS/views', { name: 'Odd', query: { colour: 'red' } });
    assert.equal(unknown.statusCode, 400, unknown.body);
  });

  test('a member shares a view with the project; a viewer sees it but keeps views only for themselves; a lead may rename it', async () => {
    const shared = await ok(
      call('bob', 'POST', '/projects/OPS/views', { name: 'High', shared: true, query: { priority: 'high,urgent' } }),
      201,
    );
    const seen = await ok(call('vi', 'GET', '/projects/OPS/views'));
    assert.deepEqual(
      seen.map((view: { name: string; yours: boolean }) => [view.name, view.yours]),
      [['High', false]],
    );
    assert.equal((await call('vi', 'POST', '/projects/OPS/views', { name: 'V', shared: true })).statusCode, 403);
    assert.equal((await call('vi', 'POST', '/projects/OPS/views', { name: 'V' })).statusCode, 201);
    const path = `/projects/OPS/views/${shared.id}`;
    assert.equal((await call('vi', 'PATCH', path, { name: 'Mine' }, { 'if-match': '"1"' })).statusCode, 403);
    const renamed = await ok(call('ada', 'PATCH', path, { name: 'High priority' }, { 'if-match': '"1"' }));
    assert.equal(renamed.version, 2);
    assert.equal((await call('bob', 'DELETE', path, undefined, { 'if-match': '"1"' })).statusCode, 412);
    assert.equal((await call('bob', 'DELETE', path, undefined, { 'if-match': '"2"' })).statusCode, 204);
  });
});
