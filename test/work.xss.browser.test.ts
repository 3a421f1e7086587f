import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInBrowsers } from './helpers/browser.js';
import { fixturePassword, workFixture, type WorkFixture } from './helpers/work.js';

/**
 * Stored XSS, end to end: a workspace filled through the API with script-shaped text in every
 * field a person types (project, state, label, custom field and option, task, Markdown
 * description and comment, file name, saved view, a person's name), then every screen that shows
 * them opened in Chromium, hovered and clicked a little. Nothing may run (`window.__xss` stays
 * unset, no dialog opens, no element carries an event handler or a `javascript:` link), and the
 * text is shown as text where it belongs.
 */

/** Classic payloads, each within the 60 characters a state, label or field name may have. */
const payloads = [
  '<img src=x onerror=window.__xss=1>',
  '<script>window.__xss=1</script>',
  '"><svg onload=window.__xss=1>',
  '<iframe srcdoc="<script>parent.__xss=1</script>">',
  '<details open ontoggle=window.__xss=1>',
  'javascript:window.__xss=1',
  "{{constructor.constructor('window.__xss=1')()}}",
  "' onmouseover='window.__xss=1",
  '<input autofocus onfocus=window.__xss=1>',
  '<a href="javascript:window.__xss=1">click</a>',
] as const;
const [img, script, svg, iframe, details, jsUrl, template, attribute, autofocus, anchor] = payloads;
const markdown = [
  ...payloads,
  '[x](javascript:window.__xss=1)',
  '![x](x" onerror="window.__xss=1)',
  '<a href="javascript:window.__xss=1">raw link</a>',
  '[y](  JaVaScRiPt:window.__xss=1)',
].join('\n\n');
const mallory = `Mallory ${img}`;
const fileNames = [`${img}.txt`, `${svg}.txt`];

type Person = 'olive' | 'mallory';
let fixture: WorkFixture<Person>;
let browser: Browser;
let origin: string;
let page: Page;
let sessions: WorkFixture<Person>['people'];
const dialogs: string[] = [];
const call: WorkFixture<Person>['call'] = (...args) => fixture.call(...args);
const ok: WorkFixture<Person>['ok'] = (...args) => fixture.ok(...args);

const created = (who: Person, url: string, body: object) =>
  ok(call(who, 'POST', url, body, { 'idempotency-key': randomUUID() }), 201);

/** Fills the workspace: Olive owns the project "<img …>", Mallory (named with a payload) writes in it. */
async function seed(): Promise<void> {
  const project = await created('olive', '/projects', { key: 'XSS', name: img, description: markdown });
  await ok(call('olive', 'PUT', `/projects/XSS/members/${sessions.mallory.id}`, { role: 'member' }));
  // States and fields answer with the whole list: the new one is found by its name.
  const named = (list: Array<{ id: string; name: string }>, name: string) => list.find((each) => each.name === name)!;
  const state = named(
    await created('olive', '/projects/XSS/states', { name: svg, group: 'started', color: '#2f5bea' }),
    svg,
  );
  const label = await created('olive', '/projects/XSS/labels', { name: details, color: '#e5484d' });
  const select = named(
    await created('olive', '/projects/XSS/fields', {
      name: script,
      kind: 'select',
      options: [iframe, attribute, anchor],
    }),
    script,
  );
  const text = named(await created('olive', '/projects/XSS/fields', { name: template, kind: 'text' }), template);
  for (const [index, title] of payloads.entries())
    await created('mallory', '/projects/XSS/tasks', {
      title,
      description: index === 0 ? markdown : title,
      assigneeIds: [sessions.olive.id],
      labelIds: [label.id],
      ...(index % 2 ? { stateId: state.id } : {}),
      fields: { [select.id]: iframe, [text.id]: autofocus },
    });
  await created('mallory', '/tasks/XSS-1/comments', { body: `@olive look: ${markdown}` });
  for (const name of fileNames)
    await ok(
      call('mallory', 'POST', `/tasks/XSS-1/attachments?name=${encodeURIComponent(name)}`, Buffer.from('hello\n'), {
        'content-type': 'text/plain',
      }),
      201,
    );
  await created('olive', '/projects/XSS/views', { name: jsUrl, shared: true, query: { q: 'window' } });
  assert.ok(project.id && state.id);
}

before(async () => {
  fixture = await workFixture(
    { olive: { role: 'owner', name: 'Olive Owner' }, mallory: { role: 'member', name: mallory } },
    { listen: true, workspaceName: 'Acme Rockets' },
  );
  ({ origin, people: sessions } = fixture);
  await seed();
  browser = await launchBrowser();
  page = await signInBrowsers(browser, origin, fixturePassword).signedIn('olive@example.com', 'Olive Owner', {
    width: 1280,
    height: 900,
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});
after(async () => {
  await browser?.close();
  await fixture?.close();
});

/** What the page holds that could run: event-handler attributes, script URLs, frames, inline scripts. */
const dangers = `(() => {
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name)) found.push(element.tagName + '[' + attribute.name + ']');
      if (/^(href|src|action|formaction|xlink:href|srcdoc)$/i.test(attribute.name) && /^\\s*(javascript|data|vbscript):/i.test(attribute.value))
        found.push(element.tagName + '[' + attribute.name + '=' + attribute.value + ']');
    }
    if (/^(SCRIPT|IFRAME|OBJECT|EMBED|FRAME)$/.test(element.tagName)) found.push(element.tagName);
  }
  return found;
})()`;

/** Nothing ran, nothing that could run is in the page, no dialog opened. */
async function assertInert(screen: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  assert.equal(await page.evaluate('window.__xss'), undefined, `${screen} ran stored script`);
  assert.deepEqual(await page.evaluate<string[]>(dangers), [], `${screen} holds markup that could run`);
  assert.deepEqual(dialogs, [], `${screen} opened a dialog`);
}

/** Moves the mouse over each of them, and focuses them, as a person looking around would. */
async function hoverAll(selector: string, max = 12): Promise<void> {
  const all = page.locator(selector);
  const count = Math.min(await all.count(), max);
  for (let n = 0; n < count; n++) {
    const element = all.nth(n);
    if (!(await element.isVisible())) continue;
    await element.hover();
    await element.focus().catch(() => undefined);
  }
}

/** The text is on the page as text, `min` times at least. */
async function assertShown(text: string, screen: string, min = 1): Promise<void> {
  const found = page.getByText(text, { exact: false }).filter({ visible: true });
  await found.first().waitFor();
  assert.ok((await found.count()) >= min, `${screen} shows ${text} at least ${min} times`);
}

describe('stored script in every field a person types, shown in Chromium', () => {
  test('the projects page and the board show the project, states, labels, titles and people as text', async () => {
    await page.goto(`${origin}/`);
    await page.getByRole('link', { name: new RegExp(`^XSS`) }).waitFor();
    await assertShown(img, 'projects');
    await assertShown(jsUrl, 'projects (description)');
    await hoverAll('.project-row');
    await assertInert('projects');

    await page.goto(`${origin}/projects/XSS`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), img);
    await page.getByRole('region', { name: svg, exact: true }).waitFor();
    for (const title of payloads) await page.locator('.card-title').getByText(title, { exact: true }).waitFor();
    await assertShown(details, 'board (labels)', payloads.length);
    await hoverAll('.card');
    await hoverAll('.avatar');
    await page
      .getByRole('article', { name: /^XSS-1: / })
      .getByRole('button', { name: /^Move .* to…$/ })
      .click();
    await page.getByRole('menuitem', { name: svg }).waitFor();
    await page.keyboard.press('Escape');
    await assertInert('board');
  });

  test('the list and its saved views bar show titles, states and the view name as text', async () => {
    await page.goto(`${origin}/projects/XSS/list`);
    const rows = page.locator('tbody tr');
    await rows.nth(payloads.length - 1).waitFor();
    for (const title of payloads) await page.getByRole('link', { name: title, exact: true }).waitFor();
    const views = page.getByRole('navigation', { name: 'Saved views' });
    await views.getByText(jsUrl).waitFor();
    await hoverAll('tbody tr');
    await views.getByRole('link', { name: new RegExp(`^${jsUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).click();
    await page.waitForURL(/view=/);
    await page.waitForLoadState('networkidle');
    const menuItem = page.getByRole('menuitem', { name: 'Rename or share…' });
    await page.getByRole('button', { name: `Change the view “${jsUrl}”` }).click();
    await menuItem.waitFor();
    await page.keyboard.press('Escape');
    await assertInert('list with the saved view');
  });

  test('the task page shows the title, Markdown, comment, files, fields and people as text, and its links go nowhere', async () => {
    await page.goto(`${origin}/projects/XSS/tasks/XSS-1`);
    await page.getByRole('heading', { name: img, level: 1 }).waitFor();
    const description = page.locator('.task-description .prose');
    await description.getByText(template).waitFor();
    for (const text of [script, svg, details, attribute]) await description.getByText(text).first().waitFor();
    const comment = page.locator('.comment-body').first();
    await comment.getByText(iframe).waitFor();
    await comment.locator('.mention', { hasText: '@olive' }).waitFor();
    for (const name of fileNames) await page.getByRole('link', { name, exact: true }).waitFor();
    await page.getByText(script, { exact: true }).first().waitFor(); // the select field's name
    await page.getByText(template, { exact: true }).first().waitFor(); // the text field's name
    assert.equal((await page.locator('option', { hasText: attribute }).count()) > 0, true, 'select options as text');
    assert.equal(await page.locator('input[value*="onfocus"]').count(), 1, 'the text field holds its value');
    await assertShown(mallory, 'task (author, history)', 2);
    await page.getByRole('group', { name: 'Labels' }).getByText(details).waitFor();

    // The Markdown links and images were made harmless: hovered and clicked, they do nothing.
    await hoverAll('.prose a, .prose img', 20);
    for (const link of await page.locator('.prose a:not([href])').all()) await link.click();
    await hoverAll('.attachment a');
    await hoverAll('.prop select, .prop input');
    await page.getByRole('button', { name: 'Edit description' }).click();
    assert.equal(
      await page.getByLabel('Description (Markdown)').inputValue(),
      markdown,
      'the Markdown is kept as typed',
    );
    await page.getByRole('button', { name: 'Cancel' }).click();
    await assertInert('task');
  });

  test('the settings show state, label, field and option names as text in their inputs', async () => {
    await page.goto(`${origin}/projects/XSS/settings`);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel(`Name of the state ${svg}`).waitFor();
    assert.equal(await page.getByLabel(`Name of the state ${svg}`).inputValue(), svg);
    for (const text of [details, script, template]) {
      const holders = page.locator(`input[value="${text.replace(/["\\]/g, '\\$&')}"]`);
      const shown = (await holders.count()) + (await page.getByText(text, { exact: true }).count());
      assert.ok(shown > 0, `settings show ${text}`);
    }
    await assertShown(mallory, 'settings (members)');
    await hoverAll('input, select, button', 30);
    await assertInert('settings');
  });

  test('search results show the titles as text', async () => {
    await page.goto(`${origin}/search?q=window`);
    const results = page.getByRole('region', { name: 'Results for window' });
    await results.waitFor();
    for (const title of [img, script, template]) await results.getByText(title, { exact: true }).waitFor();
    await hoverAll('.result');
    await assertInert('search');
  });

  test('the notifications panel and page show the person and the titles as text', async () => {
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: /^Notifications, \d+ unread$/ }).click();
    const panel = page.getByRole('dialog', { name: 'Notifications' });
    await panel.getByText(`${mallory} assigned you XSS-1 "${img}"`).waitFor();
    await panel.getByText(`${mallory} mentioned you on XSS-1 "${img}"`).waitFor();
    await hoverAll('.notice-main');
    await assertInert('notifications panel');

    await page.goto(`${origin}/notifications?show=all`);
    await page.getByText(`${mallory} assigned you XSS-2 "${script}"`).waitFor();
    await page.getByText(`${mallory} assigned you XSS-9 "${autofocus}"`).waitFor();
    await hoverAll('.notice-main', 20);
    await assertInert('notifications page');
  });
});
