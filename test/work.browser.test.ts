import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { findFreePort } from '../src/platform/postgres/supervisor.js';
import { assertAccessible, launchBrowser, signInBrowsers } from './helpers/browser.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * The work screens in Debian's Chromium, against the real server over real HTTP: a project
 * started and filled from the UI, cards moved by mouse, keyboard and menu (and seen moving on
 * another person's board through the live stream), a workflow rule refusing a move, a task
 * commented with a mention, an edit conflict, the list and the search, files attached to a task,
 * saved views of the list; every screen scanned by axe-core, and stored markup shown as text.
 */

const password = 'correct horse battery staple 42';
/** A 1×1 PNG: the smallest picture the server recognises from its bytes. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const longName = 'launch-checklist-with-every-step-of-the-final-countdown-written-down-for-the-crew-v3.txt';
const xssTitle = '<img src=x onerror=window.__xss=1>';
const xssDescription = 'Before <script>window.__xss=1</script> after';
let platform: TestPlatform;
let app: FastifyInstance;
let browser: Browser;
let acme: TenantView;
let origin: string;
let browsers: ReturnType<typeof signInBrowsers>;
/** Olive, the workspace owner, who starts the project and leads it; one tab for the whole file. */
let olive: Page;
let projectKey = '';

before(async () => {
  const port = await findFreePort();
  platform = await createTestPlatform(
    { signInRateLimitPerMinute: 1000, rateLimitPerMinute: 100_000 },
    { publicPort: port },
  );
  app = await buildTestApp(platform);
  await app.listen({ host: '127.0.0.1', port });
  acme = await buildTenant(platform, { name: 'Acme Rockets' });
  origin = `http://${acme.slug}.localhost:${port}`;
  for (const [email, name, role] of [
    ['olive@example.com', 'Olive Owner', 'owner'],
    ['max@example.com', 'Max Member', 'member'],
  ] as const)
    await platform.identity.createUser(acme.slug, { email, name, role, password }, { actor: 'operator:test' });
  browser = await launchBrowser();
  browsers = signInBrowsers(browser, origin, password);
  olive = await signedIn('olive@example.com', 'Olive Owner');
});
after(async () => {
  await browsers?.close();
  await browser?.close();
  await app?.close();
  await platform?.destroy();
});

/** A new browser (its own cookies) signed in as `email`, on the home page. */
const signedIn = (email: string, name: string, viewport?: { width: number; height: number }) =>
  browsers.signedIn(email, name, viewport);

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A board column, by its state's name. */
const column = (page: Page, state: string) => page.getByRole('region', { name: state, exact: true });
/** A card, by its task's title. */
const card = (scope: Page | Locator, title: string) =>
  scope.getByRole('article', { name: new RegExp(`^[A-Z0-9]+-\\d+: ${escaped(title)}$`) });

/** Drags with the mouse from the card's key to a point, in small steps as a hand would. */
async function drag(page: Page, from: Locator, to: { x: number; y: number }): Promise<void> {
  const start = (await from.locator('.card-key').boundingBox())!;
  await page.mouse.move(start.x + 4, start.y + start.height / 2);
  await page.mouse.down();
  await page.mouse.move(start.x + 16, start.y + 16, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 16 });
  await page.mouse.up();
}

async function openBoard(page: Page): Promise<void> {
  await page.goto(`${origin}/projects/${projectKey}`);
  await page.getByRole('heading', { name: 'Launch Control', level: 1 }).waitFor();
  await page.getByText('Live', { exact: true }).waitFor();
}

/** A file's row in a task's attachments. */
const attachment = (page: Page, name: string) =>
  page
    .getByRole('region', { name: /^Attachments/ })
    .getByRole('listitem')
    .filter({ has: page.getByRole('link', { name, exact: true }) });

/** Opens a task from the board, so the project's live stream is open already (a client-side navigation). */
async function openTask(page: Page, title: string): Promise<void> {
  await openBoard(page);
  await card(page, title).getByRole('link').click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
}

/** Whether the page is wider than the window (something pushes past a phone's screen). */
const overflows = (page: Page) =>
  // A string: evaluated in the page, where the DOM is (this file is type-checked for Node).
  page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');

/** A session cookie and CSRF token for requests made beside the browser (another person's change). */
async function apiSession(email: string): Promise<{ headers: Record<string, string> }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(acme.slug) },
    payload: { email, password },
  });
  const cookie = response.cookies.find((c) => c.name === 'steadfast_session')!;
  return {
    headers: {
      host: hostOf(acme.slug),
      cookie: `${cookie.name}=${cookie.value}`,
      'x-csrf-token': response.json().csrfToken,
    },
  };
}

describe('the work screens in Chromium', () => {
  test('a project is started from the projects page, its tasks added on the board, a member added in settings', async () => {
    await olive.getByText('No projects yet.').waitFor();
    await assertAccessible(olive, 'projects');
    await olive.getByRole('button', { name: 'New project' }).click();
    await olive.getByLabel('Name').fill('Launch Control');
    assert.equal(await olive.getByLabel('Key').inputValue(), 'LC', 'the key is suggested from the name');
    await olive.getByLabel('Key').fill('LAUNCH');
    await olive.getByLabel('Description').fill('Everything before lift-off.');
    await olive.getByRole('button', { name: 'Create project' }).click();
    await olive.getByRole('heading', { name: 'Launch Control', level: 1 }).waitFor();
    projectKey = 'LAUNCH';
    assert.match(olive.url(), /\/projects\/LAUNCH$/);

    await olive.getByRole('button', { name: 'Add a task to Todo' }).click();
    const title = olive.getByLabel('Title of the new task in Todo');
    for (const name of ['Wire the countdown clock', 'Fuel the booster', 'Check the weather', xssTitle]) {
      await title.fill(name);
      await title.press('Enter');
      await card(column(olive, 'Todo'), name).waitFor();
    }
    await title.press('Escape');
    await assertAccessible(olive, 'board');

    await olive.getByRole('link', { name: 'Settings' }).click();
    await olive.getByRole('heading', { name: 'Members' }).waitFor();
    await olive.getByLabel('Add a workspace member').selectOption({ label: 'Max Member (max@example.com)' });
    await olive.getByRole('button', { name: 'Add member' }).click();
    await olive.getByRole('combobox', { name: 'Role of Max Member' }).waitFor();

    await olive.goto(`${origin}/`);
    await olive.getByRole('link', { name: /Launch Control/ }).waitFor();
  });

  test('cards move by dragging, by the keyboard and from their menu, and the moves reach another person’s board', async () => {
    const max = await signedIn('max@example.com', 'Max Member');
    await Promise.all([openBoard(olive), openBoard(max)]);

    // Dragged with the mouse from Todo to In Progress.
    const target = (await column(olive, 'In Progress').boundingBox())!;
    await drag(olive, card(olive, 'Wire the countdown clock'), { x: target.x + target.width / 2, y: target.y + 80 });
    await card(column(olive, 'In Progress'), 'Wire the countdown clock').waitFor();
    await card(column(max, 'In Progress'), 'Wire the countdown clock').waitFor({ timeout: 3000 });

    // Dragged within Todo: "Check the weather" goes above "Fuel the booster".
    const first = (await card(column(olive, 'Todo'), 'Fuel the booster').boundingBox())!;
    await drag(olive, card(olive, 'Check the weather'), { x: first.x + first.width / 2, y: first.y + 4 });
    const firstInTodo = (page: Page) =>
      column(page, 'Todo')
        .locator('.card-title')
        .first()
        .filter({ hasText: /^Check the weather$/ });
    await firstInTodo(olive).waitFor();
    const titles = await column(olive, 'Todo').locator('.card-title').allInnerTexts();
    assert.deepEqual(titles.slice(0, 2), ['Check the weather', 'Fuel the booster']);
    await firstInTodo(max).waitFor({ timeout: 3000 });

    // Moved with the keyboard: Space on the handle, an arrow to the right, Space to drop.
    const handle = card(olive, 'Fuel the booster').getByRole('button', { name: /^Drag / });
    await handle.focus();
    await handle.press('Space');
    await olive.waitForTimeout(150);
    await olive.keyboard.press('ArrowRight');
    await olive.waitForTimeout(150);
    await olive.keyboard.press('Space');
    await card(column(olive, 'In Progress'), 'Fuel the booster').waitFor();
    await card(column(max, 'In Progress'), 'Fuel the booster').waitFor({ timeout: 3000 });

    // Moved from the card's "Move to…" menu, as on a phone.
    await card(olive, 'Check the weather')
      .getByRole('button', { name: /^Move .* to…$/ })
      .click();
    await olive.getByRole('menuitem', { name: 'Backlog' }).click();
    await card(column(olive, 'Backlog'), 'Check the weather').waitFor();
    await card(column(max, 'Backlog'), 'Check the weather').waitFor({ timeout: 3000 });
    await assertAccessible(max, 'board of a member');
  });

  test('a transition rule set in settings refuses a move, and the board explains it and puts the card back', async () => {
    await olive.goto(`${origin}/projects/${projectKey}/settings`);
    await olive.getByRole('heading', { name: 'Transition rules' }).waitFor();
    await olive.getByRole('checkbox', { name: 'Allow moves from In Progress to Done' }).check();
    await olive.getByRole('button', { name: 'Save rules' }).click();
    await olive.getByText('Rules saved.').waitFor();
    await assertAccessible(olive, 'settings');

    await openBoard(olive);
    await card(olive, 'Wire the countdown clock')
      .getByRole('button', { name: /^Move .* to…$/ })
      .click();
    await olive.getByRole('menuitem', { name: 'Todo' }).click();
    const alert = olive.getByRole('alert').filter({ hasText: 'Not moved' });
    await alert.waitFor();
    assert.match((await alert.innerText()).replace(/\s+/g, ' '), /cannot move from "In Progress" to "Todo".*"Done"/);
    await card(column(olive, 'In Progress'), 'Wire the countdown clock').waitFor();
    assert.equal(await card(column(olive, 'Todo'), 'Wire the countdown clock').count(), 0, 'the card is back');
  });

  test('a task is opened from the board, commented with an @mention (rendered), and its history is in words', async () => {
    await openBoard(olive);
    await card(olive, 'Wire the countdown clock').getByRole('link').click();
    await olive.getByRole('heading', { name: 'Wire the countdown clock', level: 1 }).waitFor();
    await olive.getByLabel('Priority').selectOption('high');
    await olive.getByText('changed priority from No priority to High').waitFor();

    const comment = olive.getByLabel('Comment', { exact: true });
    await comment.fill('Ready for the count, ');
    await comment.pressSequentially('@ma');
    await olive.getByRole('button', { name: /@max/ }).click();
    assert.equal(await comment.inputValue(), 'Ready for the count, @max ');
    await comment.pressSequentially('please check.');
    await olive.getByRole('button', { name: 'Comment', exact: true }).click();
    await olive.locator('.comment-body .mention', { hasText: '@max' }).waitFor();
    await olive.getByText(/Olive Owner commented/).waitFor();
    await assertAccessible(olive, 'task');
  });

  test('an edit made by someone else meanwhile is not overwritten: the page reloads the task and says so', async () => {
    await olive.getByRole('button', { name: 'Edit description' }).click();
    await olive.getByLabel('Description (Markdown)').fill('Olive’s plan for the clock.');
    const maxApi = await apiSession('max@example.com');
    const read = await app.inject({ url: '/api/v1/tasks/LAUNCH-1', headers: maxApi.headers });
    const changed = await app.inject({
      method: 'PATCH',
      url: '/api/v1/tasks/LAUNCH-1',
      headers: { ...maxApi.headers, 'if-match': read.headers.etag as string },
      payload: { title: 'Wire and test the countdown clock' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    await olive.getByRole('heading', { name: 'Wire and test the countdown clock', level: 1 }).waitFor();
    await olive.getByRole('button', { name: 'Save description' }).click();
    await olive.getByRole('alert').filter({ hasText: 'Someone else changed this task' }).waitFor();
    assert.equal(await olive.getByLabel('Description (Markdown)').inputValue(), 'Olive’s plan for the clock.');
    await olive.getByRole('button', { name: 'Save description' }).click();
    await olive.locator('.task-description .prose').getByText('Olive’s plan for the clock.').waitFor();
  });

  test('the list filters and searches tasks, and the search in the top bar finds tasks across projects', async () => {
    await olive.goto(`${origin}/projects/${projectKey}/list`);
    await olive.getByRole('heading', { name: 'Launch Control', level: 1 }).waitFor();
    const rows = olive.getByRole('table').getByRole('row');
    await rows.nth(4).waitFor();
    await assertAccessible(olive, 'list');
    await olive.getByLabel('State').selectOption('started');
    await olive.waitForURL(/group=started/);
    await rows.filter({ hasText: 'Check the weather' }).waitFor({ state: 'detached' });
    assert.equal(await olive.locator('tbody tr').count(), 2, 'the two started tasks');
    await olive.getByLabel('Search', { exact: true }).fill('booster');
    await rows.filter({ hasText: 'countdown' }).waitFor({ state: 'detached' });
    await rows.filter({ hasText: 'Fuel the booster' }).waitFor();
    assert.equal(await olive.locator('tbody tr').count(), 1);

    await olive.getByLabel('Search tasks').fill('countdown');
    await olive.getByLabel('Search tasks').press('Enter');
    await olive.getByRole('heading', { name: 'Search', level: 1 }).waitFor();
    await olive.getByRole('link', { name: /Wire and test the countdown clock/ }).click();
    await olive.getByRole('heading', { name: 'Wire and test the countdown clock', level: 1 }).waitFor();
    assert.match(olive.url(), /\/projects\/LAUNCH\/tasks\/LAUNCH-1$/);
  });

  test('files are attached from the picker, an image shown as a thumbnail, both reach another person live, and one is removed', async () => {
    const max = await signedIn('max@example.com', 'Max Member');
    await Promise.all([openTask(olive, 'Fuel the booster'), openTask(max, 'Fuel the booster')]);
    await olive.getByText('No files attached.').waitFor();

    const chooser = olive.waitForEvent('filechooser');
    await olive.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'booster.png', mimeType: 'image/png', buffer: png },
      { name: longName, mimeType: 'text/plain', buffer: Buffer.from('T-10: close the valves.\n') },
    ]);
    await attachment(olive, longName).waitFor();
    const image = attachment(olive, 'booster.png');
    assert.match(await image.innerText(), /70 bytes · Olive Owner · just now/);
    assert.match(await attachment(olive, longName).innerText(), /24 bytes · Olive Owner/);
    await olive.waitForFunction(
      "(() => { const thumbnail = document.querySelector('.attachment img'); return thumbnail?.complete && thumbnail.naturalWidth === 1; })()",
    );
    assert.equal(await attachment(olive, longName).locator('img').count(), 0, 'only images have a thumbnail');

    // The download, fetched by the page with its session: the bytes as sent, never shown as a page.
    const href = await olive.getByRole('link', { name: `Download ${longName}` }).getAttribute('href');
    const download = await olive.evaluate(async (url) => {
      const response = await fetch(url!);
      return { text: await response.text(), disposition: response.headers.get('content-disposition') };
    }, href);
    assert.equal(download.text, 'T-10: close the valves.\n');
    assert.match(download.disposition ?? '', /^attachment;/);

    // Max's page hears of both over the stream; he may not remove Olive's files (he is no lead).
    await attachment(max, 'booster.png').waitFor({ timeout: 3000 });
    await attachment(max, longName).waitFor();
    assert.equal(await max.getByRole('button', { name: /^Remove / }).count(), 0);
    await assertAccessible(olive, 'task with attachments');

    // A file whose content is not what its name says is refused, with the server's reason.
    await olive.locator('input[type="file"]').setInputFiles({
      name: 'diagram.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<html><script>alert(1)</script></html>'),
    });
    const refused = olive.getByRole('alert').filter({ hasText: 'Not attached' });
    await refused.waitFor();
    assert.match(await refused.innerText(), /"diagram\.png" is named as a \.png file, but its content is text/);
    await olive.getByRole('button', { name: 'Dismiss the error about diagram.png' }).click();
    await refused.waitFor({ state: 'detached' });

    // Files dropped on the section are attached too (the drop made in the page, as a drag from the desktop ends).
    const section = olive.getByRole('region', { name: /^Attachments/ });
    const dropped = await olive.evaluateHandle(
      "(() => { const transfer = new DataTransfer(); transfer.items.add(new File(['Go for launch.\\n'], 'go-no-go.md', { type: 'text/markdown' })); return transfer; })()",
    );
    await section.dispatchEvent('dragenter', { dataTransfer: dropped });
    await section.getByText(`Drop to attach to ${projectKey}-2`).waitFor();
    await section.dispatchEvent('drop', { dataTransfer: dropped });
    await attachment(olive, 'go-no-go.md').waitFor();
    assert.equal(await section.getByText(`Drop to attach to ${projectKey}-2`).count(), 0);

    olive.once('dialog', (dialog) => void dialog.accept());
    await olive.getByRole('button', { name: 'Remove booster.png' }).click();
    await image.waitFor({ state: 'detached' });
    await attachment(max, 'booster.png').waitFor({ state: 'detached', timeout: 3000 });
    await olive.getByText('removed the attachment “booster.png”').waitFor();
    await olive.getByText('attached “booster.png”').waitFor();
    assert.equal(await section.getByRole('listitem').count(), 2);
  });

  test('a view saved with filters is offered after a reload, and picking it filters the list; it is renamed, refused a taken name, and deleted', async () => {
    const list = `${origin}/projects/${projectKey}/list`;
    await olive.goto(list);
    const rows = olive.locator('tbody tr');
    await rows.nth(3).waitFor();
    // The list of the first filter alone answers last (held back until the second is shown):
    // the page keeps showing what the filters now say, not the late answer.
    let releaseStale = () => {};
    const staleHeld = new Promise<void>((resolve) => (releaseStale = resolve));
    const stale = (url: URL) =>
      url.pathname === '/api/v1/tasks' &&
      url.searchParams.get('group') === 'started' &&
      !url.searchParams.has('priority');
    await olive.route(stale, async (route) => {
      await staleHeld;
      await route.continue();
    });
    const staleAnswered = olive.waitForResponse((response) => stale(new URL(response.url())));
    await olive.getByLabel('State').selectOption('started');
    await olive.getByLabel('Priority').selectOption('high');
    await olive.waitForURL(/group=started.*priority=high/);
    await rows.nth(1).waitFor({ state: 'detached' });
    releaseStale();
    await staleAnswered;
    await olive.unroute(stale);
    await olive.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    assert.deepEqual(await rows.locator('.task-title-cell a').allInnerTexts(), ['Wire and test the countdown clock']);

    await olive.getByRole('button', { name: 'Save view' }).click();
    const form = olive.getByRole('form', { name: 'Save these filters as a view' });
    await form.getByText('Started · High priority').waitFor();
    await form.getByLabel('Name of the view').fill('Hot and moving');
    await form.getByLabel('Share with the project').check();
    await form.getByRole('button', { name: 'Save view' }).click();
    await form.waitFor({ state: 'detached' });
    await olive.waitForURL(/view=/);
    const tab = (page: Page, name: string) =>
      page
        .getByRole('navigation', { name: 'Saved views' })
        .getByRole('link', { name: new RegExp(`^${escaped(name)}`) });
    await tab(olive, 'Hot and moving').and(olive.locator('[aria-current="true"]')).waitFor();

    // The same name again (in any case) is taken: said under the name, the form kept.
    await olive.getByRole('button', { name: 'Save view' }).click();
    await form.getByLabel('Name of the view').fill('hot and moving');
    await form.getByLabel('Share with the project').check();
    await form.getByRole('button', { name: 'Save view' }).click();
    await form.getByText('A view named "hot and moving" exists already here: choose another name.').waitFor();
    assert.equal(await form.getByLabel('Name of the view').getAttribute('aria-invalid'), 'true');
    await form.getByRole('button', { name: 'Cancel' }).click();

    await olive.goto(list);
    await rows.nth(3).waitFor();
    await tab(olive, 'Hot and moving').click();
    await olive.waitForURL(/view=/);
    await rows.nth(1).waitFor({ state: 'detached' });
    assert.deepEqual(await rows.locator('.task-title-cell a').allInnerTexts(), ['Wire and test the countdown clock']);
    assert.equal(await olive.getByLabel('State').inputValue(), 'started');
    assert.equal(await olive.getByLabel('Priority').inputValue(), 'high');

    await olive.getByRole('button', { name: 'Change the view “Hot and moving”' }).click();
    await olive.getByRole('menuitem', { name: 'Rename or share…' }).waitFor();
    await assertAccessible(olive, 'list with the views menu');
    await olive.getByRole('menuitem', { name: 'Rename or share…' }).click();
    const rename = olive.getByRole('form', { name: 'Rename or share “Hot and moving”' });
    await rename.getByLabel('Name of the view').fill('Moving fast');
    await rename.getByRole('button', { name: 'Save' }).click();
    await tab(olive, 'Moving fast').waitFor();

    // Max sees the shared view, marked as shared, and may not change Olive's view.
    const max = await signedIn('max@example.com', 'Max Member');
    await max.goto(list);
    await tab(max, 'Moving fast (shared)').click();
    await max.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    assert.equal(await max.getByRole('button', { name: /^Change the view/ }).count(), 0);

    olive.once('dialog', (dialog) => void dialog.accept());
    await olive.getByRole('button', { name: 'Change the view “Moving fast”' }).click();
    await olive.getByRole('menuitem', { name: 'Delete view' }).click();
    await tab(olive, 'Moving fast').waitFor({ state: 'detached' });
    assert.doesNotMatch(olive.url(), /view=/);
  });

  test('on a phone the attachments and the saved views fit the screen, a long file name cut with an ellipsis', async () => {
    const phone = await signedIn('olive@example.com', 'Olive Owner', { width: 375, height: 812 });
    await openTask(phone, 'Fuel the booster');
    await attachment(phone, longName).waitFor();
    assert.equal(await overflows(phone), false, 'the task page is no wider than the phone');
    const name = phone.getByRole('link', { name: longName, exact: true });
    assert.ok(await name.evaluate((link) => link.scrollWidth > link.clientWidth), 'the name is cut, not wrapped');

    await phone.goto(`${origin}/projects/${projectKey}/list`);
    await phone.getByRole('button', { name: 'Save view' }).click();
    await phone.getByLabel('Name of the view').fill('A name long enough to need cutting on a narrow screen, surely');
    await phone.getByRole('button', { name: 'Save view' }).last().click();
    await phone.getByRole('link', { name: /^A name long enough/ }).waitFor();
    assert.equal(await overflows(phone), false, 'the list with its views is no wider than the phone');
    await assertAccessible(phone, 'list with views on a phone');
  });

  test('a title and a description that look like HTML or script are shown as text everywhere, never run', async () => {
    const dialogs: string[] = [];
    olive.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await openBoard(olive);
    await card(olive, xssTitle).getByRole('link').click();
    await olive.getByRole('heading', { name: xssTitle, level: 1 }).waitFor();
    await olive.getByRole('button', { name: 'Edit description' }).click();
    await olive.getByLabel('Description (Markdown)').fill(xssDescription);
    await olive.getByRole('button', { name: 'Save description' }).click();
    await olive.getByRole('button', { name: 'Edit description' }).waitFor();
    const taskPath = new URL(olive.url()).pathname;
    for (const path of [
      `/projects/${projectKey}`,
      `/projects/${projectKey}/list`,
      taskPath,
      `/search?q=${encodeURIComponent('onerror')}`,
    ]) {
      await olive.goto(`${origin}${path}`);
      await olive.getByText(xssTitle).first().waitFor();
      await olive.waitForLoadState('networkidle');
      assert.equal(await olive.evaluate('window.__xss'), undefined, `${path} ran stored script`);
      assert.equal(await olive.locator('img[src="x"], script:not([src])').count(), 0, path);
    }
    await olive.goto(`${origin}${taskPath}`);
    await olive.getByText('Before').waitFor();
    assert.doesNotMatch(await olive.locator('.task-description .prose').innerHTML(), /<script/i);
    assert.deepEqual(dialogs, []);
  });
});
