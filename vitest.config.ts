import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['hub/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx', 'storage/**/*.test.ts', 'cli/**/*.test.ts', 'conformance/**/*.test.ts', 'bench/**/*.test.ts', 'engine/**/*.test.ts'],
    // The real-browser suite runs apart: vitest.browser.config.ts.
    exclude: [...configDefaults.exclude, 'conformance/browser/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
