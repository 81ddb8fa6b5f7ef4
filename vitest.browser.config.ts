/**
 * The catalog's real-browser suite (Chromium driven by playwright-core, axe-core in the page):
 * `npx vitest run --config vitest.browser.config.ts`. Kept apart from `npm test`, since it needs
 * Chromium and builds its fixtures with the real commands. One file at a time: each starts a
 * Hub and a browser of its own.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['conformance/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
