/**
 * `nocker hub gc` as a user runs it: the real CLI in a child process, on a data directory that
 * holds one blob no manifest references. Without a running Hub the command opens the embedded
 * database itself.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubConfig } from '../hub/config.ts';
import { createTestEnvironment, type TestEnvironment } from './harness.ts';
import { openBackends } from '../hub/server.ts';

const run = promisify(execFile);
const NOCKER = fileURLToPath(new URL('../cli/nocker.js', import.meta.url));

describe('nocker hub gc', () => {
  let environment: TestEnvironment | undefined;
  let dataDir: string;
  let cwd: string;
  let config: HubConfig;
  const blob = randomBytes(321);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

  /** Runs `node cli/nocker.js hub gc …` against the data directory; resolves with its output. */
  async function gc(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    // Only the test environment may decide where the Hub's data is.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...environment?.env };
    return run(process.execPath, [NOCKER, 'hub', 'gc', ...args], { cwd, env, timeout: 20_000 });
  }

  beforeAll(async () => {
    environment = await createTestEnvironment();
    dataDir = environment.dataDir;
    config = environment.config;
    // An empty working directory: no nocker-hub.yaml for the CLI to pick up.
    cwd = await mkdtemp(join(tmpdir(), 'nocker-gc-cli-cwd-'));
    const backends = await openBackends(config);
    try {
      const { registry } = backends;
      const upload = await registry.uploads.start('cli/lonely');
      await registry.uploads.append(
        'cli/lonely',
        upload.id,
        (async function* () {
          yield blob;
        })(),
      );
      await registry.uploads.finish('cli/lonely', upload.id, digest);
    } finally {
      await backends.close();
    }
  });

  afterAll(async () => {
    await environment?.dispose();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('--dry-run with the default grace period leaves a blob pushed just now alone', async () => {
    const { stdout } = await gc('--dry-run');
    expect(stdout).toBe('dry run: 0 manifests, 0 blobs, 0 uploads; 0 bytes would be freed\n');
  });

  it('--dry-run --grace 0s reports the unreferenced blob, then a real run removes it', async () => {
    const dry = await gc('--dry-run', '--grace', '0s');
    expect(dry.stdout.split('\n')).toEqual([
      `would remove blob ${digest} (321 bytes)`,
      'dry run: 0 manifests, 1 blobs, 0 uploads; 321 bytes would be freed',
      '',
    ]);

    const real = await gc('--grace', '0s');
    expect(real.stdout.split('\n')).toEqual([`removed blob ${digest} (321 bytes)`, '0 manifests, 1 blobs, 0 uploads; 321 bytes freed', '']);

    // The command released the data directory, and the blob is gone from rows and storage.
    await expect(access(join(dataDir, 'hub.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    const backends = await openBackends(config);
    try {
      expect(await backends.store.stat(digest)).toBeNull();
      await expect(backends.registry.blobs.stat('cli/lonely', digest)).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });
      // Each run is in the audit log, where the Hub's health finds it, newest first.
      const { entries } = await backends.access.audit.query({ action: 'gc' });
      expect(entries.map((e) => [e.actor, e.outcome, e.detail])).toEqual([
        ['operator', 'success', { dryRun: false, deleteUntagged: false, manifests: 0, blobs: 1, uploads: 0, bytesFreed: 321 }],
        ['operator', 'success', { dryRun: true, deleteUntagged: false, manifests: 0, blobs: 1, uploads: 0, bytesFreed: 321 }],
        ['operator', 'success', { dryRun: true, deleteUntagged: false, manifests: 0, blobs: 0, uploads: 0, bytesFreed: 0 }],
      ]);
    } finally {
      await backends.close();
    }

    const again = await gc('--grace', '0s');
    expect(again.stdout).toBe('0 manifests, 0 blobs, 0 uploads; 0 bytes freed\n');
  });
});
