/**
 * `nocker login` and `nocker logout` against a real Hub, through the command functions, with
 * DOCKER_CONFIG in a temporary directory.
 */
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { OciError } from '../hub/oci/errors.ts';
import { loginCommand, logoutCommand } from './login.ts';
import { run } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
const configFile = () => join(dir, 'config.json');
const readConfig = async () => JSON.parse(await readFile(configFile(), 'utf8')) as { auths: Record<string, { auth?: string; identitytoken?: string }> } & Record<string, unknown>;

beforeAll(async () => {
  hub = await startTestHub();
  host = new URL(hub.url).host;
});

afterAll(async () => {
  await hub?.destroy();
});

beforeEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), 'nocker-login-'));
  env = { DOCKER_CONFIG: dir };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nocker login', () => {
  it('saves the credentials in auths, as docker login does, once the Hub accepts them', async () => {
    const result = await run(loginCommand, [hub.url, '-u', TEST_ADMIN.username, '--password-stdin'], env, `${TEST_ADMIN.password}\n`);
    expect(result).toEqual({ code: 0, stdout: 'Login Succeeded\n', stderr: '' });
    const auth = Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64');
    expect(await readConfig()).toEqual({ auths: { [host]: { auth } } });
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);
  });

  it('fails on a wrong password and saves nothing', async () => {
    const err = await run(loginCommand, [host, '-u', TEST_ADMIN.username, '--password-stdin'], env, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('UNAUTHORIZED');
    expect((err as OciError).message).toContain(`the Hub at ${host} did not accept the credentials of "admin"`);
    await expect(stat(configFile())).rejects.toThrow();
  });

  it('keeps the rest of an existing config file', async () => {
    await writeFile(configFile(), JSON.stringify({ auths: { 'other:1': { auth: 'eDp5' } }, psFormat: 'table' }));
    await run(loginCommand, ['-u', TEST_ADMIN.username, '-p', TEST_ADMIN.password], { ...env, NOCKER_HUB: host });
    const config = await readConfig();
    expect(config.psFormat).toBe('table');
    expect(Object.keys(config.auths).sort()).toEqual([host, 'other:1'].sort());
  });

  it('warns about --password on the command line', async () => {
    const result = await run(loginCommand, ['--hub', hub.url, '-u', TEST_ADMIN.username, '-p', TEST_ADMIN.password], env);
    expect(result.stdout).toBe('Login Succeeded\n');
    expect(result.stderr).toContain('--password-stdin');
  });

  it('asks for missing values only on a terminal, else is a usage error', async () => {
    await expect(run(loginCommand, [hub.url, '-u', 'admin'], env)).rejects.toThrow(UsageError);
    await expect(run(loginCommand, [hub.url], env)).rejects.toThrow(/no user name given and no terminal/);
    await expect(run(loginCommand, [hub.url, '--password-stdin'], env, 'x')).rejects.toThrow('--password-stdin needs --username');
    await expect(run(loginCommand, [hub.url, '-u', 'a', '-p', 'b', '--password-stdin'], env)).rejects.toThrow(UsageError);
    await expect(run(loginCommand, [hub.url, '-u', 'admin', '--password-stdin'], env, '')).rejects.toThrow('standard input is empty');
    await expect(stat(configFile())).rejects.toThrow();
  });

  it('says when the Hub cannot be reached', async () => {
    const port = await closedPort();
    await expect(run(loginCommand, [`127.0.0.1:${port}`, '-u', 'a', '-p', 'b'], env)).rejects.toThrow(`cannot reach the Hub at http://127.0.0.1:${port}`);
  });
});

describe('nocker logout', () => {
  it('removes the entry of that Hub only, and says so', async () => {
    await writeFile(configFile(), JSON.stringify({ auths: { 'other:1': { auth: 'eDp5' } } }));
    await run(loginCommand, [hub.url, '-u', TEST_ADMIN.username, '--password-stdin'], env, TEST_ADMIN.password);
    const result = await run(logoutCommand, [host], env);
    expect(result).toEqual({ code: 0, stdout: `Removing login credentials for ${host}\n`, stderr: '' });
    expect(await readConfig()).toEqual({ auths: { 'other:1': { auth: 'eDp5' } } });
    expect((await run(logoutCommand, [hub.url], env)).stdout).toBe(`Not logged in to ${host}\n`);
  });
});

/** A loopback port nothing listens on (just freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
