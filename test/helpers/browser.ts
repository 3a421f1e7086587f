import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, as this machine runs it: no sandbox (tests run as root), no
 * background networking (the machine's network is closed), every `*.localhost` on 127.0.0.1.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.localhost 127.0.0.1',
    ],
  });
}

let axeSource: Promise<string> | undefined;

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation, naming
 * each rule and the elements it found. (Evaluated through the browser's protocol, not a script
 * tag: the page's Content-Security-Policy allows no inline script, rightly.)
 */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(): Promise<{
            violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
          }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(grave, [], `${screen}: ${JSON.stringify(grave, null, 2)}`);
}

/** Browsers (each its own cookies) signed in to one workspace, closed together. */
export function signInBrowsers(browser: Browser, origin: string, password: string) {
  const contexts: BrowserContext[] = [];
  return {
    /** A new browser signed in as `email`, on the home page that greets `name`. */
    async signedIn(email: string, name: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${origin}/sign-in`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: `Welcome, ${name}` }).waitFor();
      return page;
    },
    async close(): Promise<void> {
      for (const context of contexts) await context.close();
    },
  };
}
