/**
 * The browser suite's own guards: a page that opens a dialog, breaks its Content-Security-Policy
 * or throws is caught, and an error page the test asked for is not a problem. Without this, a
 * silent guard would let the XSS and CSP checks of the catalog suite pass for nothing.
 */
import { describe, expect, it } from 'vitest';
import { useTestHub } from '../harness.ts';
import { gotoExpectingStatus, takeProblems, useBrowser, visited } from './browser.ts';

let base = '';
useTestHub((hub) => (base = hub.url));
const browser = useBrowser();

describe('the browser suite watches every page', () => {
  it('reports a dialog, a blocked image, a blocked inline handler and an uncaught error', async () => {
    const page = await browser.openPage(base);
    await page.goto('/ui/signin');
    // Evaluated through the DevTools protocol, as injected markup would run if it could.
    await page.evaluate(`(() => {
      setTimeout(() => alert('canary'), 0);
      const image = document.createElement('img');
      image.src = 'https://example.invalid/tracker.png';
      document.body.append(image);
      document.body.insertAdjacentHTML('beforeend', '<img src="/ui/missing.png" onerror="document.title = \\'inline\\'">');
      setTimeout(() => { throw new Error('uncaught on purpose'); }, 0);
    })()`);
    // The reports arrive asynchronously and in any order: give them a moment.
    await page.waitForTimeout(1_000);
    const problems = takeProblems(page).join('\n');
    expect(problems).toMatch(/alert dialog.*canary/);
    expect(problems).toMatch(/CSP violation .*img-src blocked https:\/\/example\.invalid/);
    expect(problems).toMatch(/CSP violation .*script-src/);
    expect(problems).toMatch(/console error .*Executing inline event handler violates/);
    expect(problems).toMatch(/page error .*uncaught on purpose/);
    expect(await page.title()).not.toBe('inline');
  });

  it('accepts an error page the test asked for, and checks it like any other', async () => {
    const page = await browser.openPage(base);
    await gotoExpectingStatus(page, '/ui/no-such-page', 404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
    await visited(page, 'watch-not-found');
  });
});
