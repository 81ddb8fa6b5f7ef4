/**
 * Starts a real Hub on a free loopback port for black-box tests, on a fresh temporary data
 * directory. `NOCKER_TEST_DATABASE_URL` switches the metadata to a PostgreSQL server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';

export interface TestHub extends RunningHub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  config: HubConfig;
  /** Stops the Hub and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * @example
 * const hub = await startTestHub();
 * const res = await fetch(`${hub.url}/v2/`);
 * await hub.destroy();
 */
export async function startTestHub(overrides: Partial<HubConfig> = {}): Promise<TestHub> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'nocker-test-')));
  const config: HubConfig = {
    ...loadConfig({ env: {}, cwd: dataDir }),
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    databaseUrl: process.env.NOCKER_TEST_DATABASE_URL || undefined,
    ...overrides,
  };
  const hub = await startHub(config, { quiet: true });
  return {
    ...hub,
    dataDir,
    config,
    async destroy() {
      await hub.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs one Hub for the test file: started before its tests, destroyed after them.
 *
 * @example
 * let base: string;
 * useTestHub((hub) => (base = hub.url));
 */
export function useTestHub(onStart: (hub: TestHub) => void): void {
  let hub: TestHub | undefined;
  beforeAll(async () => {
    hub = await startTestHub();
    onStart(hub);
  });
  afterAll(async () => {
    await hub?.destroy();
  });
}
