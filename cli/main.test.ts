/**
 * The real `nocker` executable, run as a child process from a temporary directory (so that nothing,
 * such as ./.nocker, is created in the repository) with a minimal environment.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('./nocker.js', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'nocker-cli-'));
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** Runs `node cli/nocker.js …args` in the temporary directory with only `env` set. */
function nocker(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && error.killed) {
          reject(new Error(`nocker ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        // A process ended by a signal has no code: say which, so a failure explains itself.
        resolve({ code, stdout, stderr: error?.signal ? `${stderr}\n(ended by ${error.signal})` : stderr });
      },
    );
  });
}

describe('nocker (the executable)', () => {
  it('--help prints the usage, mentioning hub serve, and exits 0', async () => {
    const run = await nocker(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage:/);
    expect(run.stdout).toContain('hub serve');
    expect(run.stderr).toBe('');
  });

  it('-h and help are the same as --help', async () => {
    const long = await nocker(['--help']);
    for (const arg of ['-h', 'help']) {
      const run = await nocker([arg]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(long.stdout);
    }
  });

  it('prints the usage and exits 1 when given no command', async () => {
    const run = await nocker([]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('hub serve');
  });

  it('--version prints the version from package.json', async () => {
    const run = await nocker(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`nocker ${PACKAGE.version}\n`);
    expect((await nocker(['-v'])).stdout).toBe(run.stdout);
  });

  it('exits 2 on an unknown command, explaining on stderr', async () => {
    const run = await nocker(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown command "frobnicate"');
    expect(run.stderr).toContain('nocker --help');
  });

  it('exits 2 on an unknown hub command', async () => {
    const run = await nocker(['hub', 'frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown hub command "frobnicate"');
  });

  it('exits 2 on an unknown option of hub serve', async () => {
    const run = await nocker(['hub', 'serve', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--bogus');
    expect(run.stderr).toContain('Run "nocker --help" for usage. Run "nocker hub --help" for its options.');
  });

  it('hub --help describes the settings, NOCKER_LISTEN and DATABASE_URL among them', async () => {
    const run = await nocker(['hub', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('NOCKER_LISTEN');
    expect(run.stdout).toContain('DATABASE_URL');
    expect(run.stdout).toContain('NOCKER_DATA_DIR');
    expect(run.stdout).toContain('hub gc');
  });

  it('hub serve --help prints the hub usage and exits 0 without starting', async () => {
    const run = await nocker(['hub', 'serve', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('NOCKER_LISTEN');
  });

  it('hub serve refuses a bad NOCKER_LISTEN, naming it, before creating anything', async () => {
    const run = await nocker(['hub', 'serve'], { NOCKER_LISTEN: 'nonsense' });
    expect(run.code).not.toBe(0);
    expect(run.code, run.stderr).not.toBeNull();
    expect(run.stderr).toContain('NOCKER_LISTEN');
    expect(run.stderr).toContain('nonsense');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('hub serve refuses a --config file that does not exist', async () => {
    const run = await nocker(['hub', 'serve', '--config', 'missing.yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--config');
    expect(run.stderr).toContain('missing.yaml');
  });

  it('hub gc --grace soon exits 2, as a usage error, with a pointer to --help', async () => {
    const run = await nocker(['hub', 'gc', '--grace', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--grace');
    expect(run.stderr).toContain('--help');
  });

  it('says why a command failed in one sentence and a hint, without a stack trace', async () => {
    const run = await nocker(['pull', 'team/app', '--hub', '127.0.0.1:1']);
    expect(run.code).toBe(1);
    const [sentence, hint, ...rest] = run.stderr.split('\n');
    expect(sentence).toMatch(/^nocker: cannot reach the Hub at http:\/\/127\.0\.0\.1:1: /);
    expect(hint).toContain('--hub');
    expect(rest).toEqual(['']);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('NOCKER_DEBUG=1 adds the stack trace and its cause after the sentence and hint', async () => {
    const plain = await nocker(['pull', 'team/app', '--hub', '127.0.0.1:1']);
    const run = await nocker(['pull', 'team/app', '--hub', '127.0.0.1:1'], { NOCKER_DEBUG: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr.startsWith(plain.stderr)).toBe(true);
    expect(run.stderr).toMatch(/^HubUnreachableError: cannot reach the Hub/m);
    expect(run.stderr).toMatch(/^\s+at /m);
    expect(run.stderr).toMatch(/^Caused by: /m);
  });

  it('keeps exit code 2 and a pointer to the command\'s help for usage errors, also with NOCKER_DEBUG', async () => {
    const run = await nocker(['tag', 'only-one'], { NOCKER_DEBUG: '1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^nocker: tag needs a source and a target/);
    expect(run.stderr).toContain('Run "nocker tag --help" for its options.');
  });

  it('rewords an operating system error as a sentence naming the file', async () => {
    const run = await nocker(['pull', 'team/app', '--hub', '127.0.0.1:1', '--output', '/dev/null/layout']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('nocker: cannot mkdir /dev/null/layout/blobs/sha256: not a directory\n');
  });
});
