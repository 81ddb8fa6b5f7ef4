import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['hub/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx', 'storage/**/*.test.ts', 'cli/**/*.test.ts', 'conformance/**/*.test.ts', 'bench/**/*.test.ts', 'engine/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
