/**
 * A real browser for the catalog's browser suite: Debian's Chromium driven by playwright-core,
 * headless, a fresh context (cookies, storage) for every page a test opens.
 *
 * Every page is watched: an uncaught page error, a console error, a Content-Security-Policy
 * violation or a JavaScript dialog fails the test that opened it. A dialog is how injected
 * markup would show itself (`alert(1)`), so none may open unless the test says it expects a
 * confirmation ({@link acceptConfirmation}). The CSP is under test too: nothing here bypasses it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Dialog, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** Where full-page screenshots go; CI keeps this folder after the run. */
export const SCREENSHOT_DIR = process.env.NOCKER_SCREENSHOT_DIR ?? '.ci/output/screenshots';

/** The Chromium binary: Debian's by default. */
export const CHROMIUM = process.env.NOCKER_CHROMIUM ?? '/usr/bin/chromium';

/** What went wrong on a page, in words; the test fails when this list is not empty. */
interface Watch {
  /** The Hub the page's relative URLs resolve against. */
  base: string;
  problems: string[];
  /** Document URLs the test expects to answer with an error status (their "Failed to load" is fine). */
  expectedErrors: Set<string>;
  /** Confirmation dialogs the test expects next (messages matched in order); one left over fails the test. */
  confirmations: RegExp[];
}

const watches = new WeakMap<Page, Watch>();

function watchOf(page: Page): Watch {
  const watch = watches.get(page);
  if (!watch) throw new Error('this page was not opened by the browser suite (openPage)');
  return watch;
}

/** The browser one test file shares, and the pages it opened in the current test. */
export interface SuiteBrowser {
  /**
   * A page in a new browser context (no cookies: an anonymous visitor until it signs in),
   * whose relative URLs resolve against `base`.
   */
  openPage(base: string): Promise<Page>;
}

/**
 * Launches Chromium before the file's tests and closes it after them; closes each test's
 * contexts after it and fails the test when one of its pages had a problem.
 *
 * @example
 * const browser = useBrowser();
 * it('shows the catalog', async () => {
 *   const page = await browser.openPage(hub.url);
 *   await page.goto('/ui/explore');
 * });
 */
export function useBrowser(): SuiteBrowser {
  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterEach(async () => {
    const problems = pages.flatMap((page) => {
      const watch = watches.get(page);
      if (!watch) return [];
      return [...watch.problems, ...watch.confirmations.map((expected) => `the confirmation ${expected} never opened`)];
    });
    pages.length = 0;
    const closing = contexts;
    contexts = [];
    await Promise.all(closing.map((context) => context.close().catch(() => undefined)));
    if (problems.length > 0) throw new Error(`the browser saw problems:\n  ${problems.join('\n  ')}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    async openPage(base) {
      if (!browser) throw new Error('the browser is launched in beforeAll: open pages inside tests');
      // The clipboard permissions let the catalog script's Copy buttons work as they do for a person.
      const context = await browser.newContext({ baseURL: base, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
      contexts.push(context);
      const page = await context.newPage();
      await watchPage(page, base);
      pages.push(page);
      return page;
    },
  };
}

/** Registers the listeners that turn a page's errors, CSP violations and dialogs into problems. */
async function watchPage(page: Page, base: string): Promise<void> {
  const watch: Watch = { base, problems: [], expectedErrors: new Set(), confirmations: [] };
  watches.set(page, watch);

  page.on('pageerror', (error) => watch.problems.push(`page error on ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // A page the test expects to be refused (403, 404) is still "a failed load" to Chromium.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(text) && watch.expectedErrors.has(message.location().url)) return;
    // Chromium asks for /favicon.ico by itself when a page names no icon; that is not the page's doing.
    if (/^Failed to load resource/.test(text) && new URL(message.location().url || 'about:blank').pathname === '/favicon.ico') return;
    watch.problems.push(`console error on ${page.url()}: ${text}${message.location().url ? ` (${message.location().url})` : ''}`);
  });
  page.on('dialog', (dialog) => void answerDialog(page, watch, dialog));

  // The event is reported through a CDP binding, which the page's CSP does not govern.
  await page.exposeBinding('__nockerCspViolation', ({ frame }, report: string) => {
    watch.problems.push(`CSP violation on ${frame.url()}: ${report}`);
  });
  await page.addInitScript(() => {
    // No DOM typings in this project: the few page globals used are described here.
    interface Violation {
      violatedDirective: string;
      blockedURI: string;
      sourceFile: string;
      lineNumber: number;
    }
    const page = globalThis as unknown as {
      document: { addEventListener(type: 'securitypolicyviolation', listener: (event: Violation) => void): void };
      __nockerCspViolation(text: string): Promise<void>;
    };
    page.document.addEventListener('securitypolicyviolation', (event) => {
      void page.__nockerCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
}

async function answerDialog(page: Page, watch: Watch, dialog: Dialog): Promise<void> {
  const expected = watch.confirmations[0];
  if (dialog.type() === 'confirm' && expected && expected.test(dialog.message())) {
    watch.confirmations.shift();
    await dialog.accept();
    return;
  }
  watch.problems.push(`a ${dialog.type()} dialog opened on ${page.url()}: ${JSON.stringify(dialog.message())}`);
  await dialog.dismiss().catch(() => undefined);
}

/**
 * Says the next confirmation dialog matching `message` is expected and is to be accepted (the
 * catalog's script asks before destructive forms are sent). Any other dialog still fails the test.
 *
 * @example
 * acceptConfirmation(page, /revoke/i);
 * await page.getByRole('button', { name: 'Revoke' }).click();
 */
export function acceptConfirmation(page: Page, message: RegExp): void {
  watchOf(page).confirmations.push(message);
}

/**
 * Says the document at `path` (of the Hub) may answer with an error status — a page the test
 * means to be refused, however the browser gets there — and returns its absolute URL.
 *
 * @example
 * allowErrorStatus(page, '/ui/signout');
 */
export function allowErrorStatus(page: Page, path: string): string {
  const watch = watchOf(page);
  const url = new URL(path, watch.base).toString();
  watch.expectedErrors.add(url);
  return url;
}

/**
 * Opens `path` expecting the document to answer `status` (an error page the test means to
 * see), so that Chromium's "failed to load" console line for it does not fail the test.
 *
 * @example
 * await gotoExpectingStatus(page, '/ui/admin', 403);
 */
export async function gotoExpectingStatus(page: Page, path: string, status: number): Promise<void> {
  const url = allowErrorStatus(page, path);
  const response = await page.goto(url);
  expect(response?.status(), `GET ${path}`).toBe(status);
}

/**
 * The problems the page has had so far, forgotten once read: for tests of the watch itself,
 * which provoke them on purpose.
 *
 * @example
 * await page.evaluate('alert(1)');
 * expect(takeProblems(page)).toEqual([expect.stringContaining('alert dialog')]);
 */
export function takeProblems(page: Page): string[] {
  return watchOf(page).problems.splice(0);
}

/** Fails now (rather than after the test) when the page has had a problem so far. */
export function expectNoProblems(page: Page): void {
  expect(watchOf(page).problems, `problems on ${page.url()}`).toEqual([]);
}

let screenshotDirReady = false;

/**
 * Writes a full-page PNG of `page` as `NAME.png` in {@link SCREENSHOT_DIR}.
 *
 * @example
 * await screenshot(page, 'explore-search');
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!screenshotDirReady) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    screenshotDirReady = true;
  }
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** One axe-core finding, as much of it as a person needs to fix it. */
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

let axeSource: string | undefined;

function readAxeSource(): string {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core in the page as it is now and fails on any serious or critical violation, listing
 * them readably. axe is evaluated through the DevTools protocol, which the page's CSP does not
 * govern: the CSP itself stays as the Hub sent it.
 *
 * @example
 * await checkAccessibility(page);
 */
export async function checkAccessibility(page: Page): Promise<void> {
  expectNoProblems(page);
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(readAxeSource());
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { document: object; axe: { run(context: object, options: object): Promise<{ violations: AxeViolation[] }> } };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) }));
  });
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = severe.map(
    (v) => `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${n.html}\n      ${(n.failureSummary ?? '').replaceAll('\n', '\n      ')}`).join('\n')}`,
  );
  expect(described, `accessibility of ${page.url()}`).toEqual([]);
}

/**
 * The usual end of a visit: a screenshot, then the accessibility check.
 *
 * @example
 * await page.goto('/ui/explore');
 * await visited(page, 'explore');
 */
export async function visited(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await checkAccessibility(page);
}
