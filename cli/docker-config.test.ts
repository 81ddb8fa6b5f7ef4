import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialsFor,
  DockerConfigError,
  dockerConfigPath,
  removeCredentials,
  requireCredentials,
  saveCredentials,
} from './docker-config.ts';

let dir: string;
let env: { DOCKER_CONFIG: string };
const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-docker-config-'));
  env = { DOCKER_CONFIG: join(dir, 'docker') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = () => join(env.DOCKER_CONFIG, 'config.json');
const readJson = async () => JSON.parse(await readFile(file(), 'utf8')) as Record<string, unknown>;

describe('dockerConfigPath', () => {
  it('is $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: '/etc/dc' } })).toBe('/etc/dc/config.json');
    expect(dockerConfigPath({ env: { HOME: '/home/ann' } })).toBe('/home/ann/.docker/config.json');
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: '', HOME: '/home/ann' } })).toBe('/home/ann/.docker/config.json');
  });
});

describe('saveCredentials', () => {
  it('creates the directory (0700) and the file (0600) with auths keyed by host:port', async () => {
    const result = await saveCredentials('http://127.0.0.1:5000', 'admin', 'p:w ö', { env });
    expect(result).toEqual({ path: file(), warnings: [] });
    expect(await readJson()).toEqual({ auths: { '127.0.0.1:5000': { auth: b64('admin:p:w ö') } } });
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect((await stat(env.DOCKER_CONFIG)).mode & 0o777).toBe(0o700);
    expect(await credentialsFor('127.0.0.1:5000', { env })).toEqual({ username: 'admin', password: 'p:w ö' });
  });

  it('keeps every other key of the file and of the entry but the replaced identity token, and leaves no temporary file', async () => {
    await saveCredentials('127.0.0.1:5000', 'admin', 'old', { env });
    const original = {
      auths: { 'other:1': { auth: b64('x:y') }, '127.0.0.1:5000': { auth: b64('admin:old'), identitytoken: 'idt', email: 'a@b' } },
      proxies: { default: { httpProxy: 'http://p' } },
      psFormat: 'table {{.ID}}',
    };
    await writeFile(file(), JSON.stringify(original));
    await saveCredentials('127.0.0.1:5000', 'ann', 'new', { env });
    expect(await readJson()).toEqual({
      ...original,
      auths: { 'other:1': { auth: b64('x:y') }, '127.0.0.1:5000': { auth: b64('ann:new'), email: 'a@b' } },
    });
    expect(await readdir(env.DOCKER_CONFIG)).toEqual(['config.json']);
  });

  it('writes through a symbolic link rather than replacing it', async () => {
    const real = join(dir, 'real-config.json');
    await writeFile(real, JSON.stringify({ psFormat: 'x' }));
    await saveCredentials('127.0.0.1:5000', 'a', 'b', { env: { DOCKER_CONFIG: dir } });
    await rm(join(dir, 'config.json'));
    await symlink(real, join(dir, 'config.json'));
    await saveCredentials('127.0.0.1:5000', 'c', 'd', { env: { DOCKER_CONFIG: dir } });
    expect(JSON.parse(await readFile(real, 'utf8'))).toEqual({ psFormat: 'x', auths: { '127.0.0.1:5000': { auth: b64('c:d') } } });
  });

  it('warns that a credential helper the file names is not used', async () => {
    await saveCredentials('127.0.0.1:5000', 'a', 'b', { env });
    await writeFile(file(), JSON.stringify({ credsStore: 'desktop' }));
    const { warnings } = await saveCredentials('127.0.0.1:5000', 'a', 'b', { env });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('credential helpers are not supported');
    expect(warnings[0]).toContain('desktop');
    expect((await readJson()).credsStore).toBe('desktop');
  });

  it('refuses a file that is not a JSON object, naming it', async () => {
    await saveCredentials('127.0.0.1:5000', 'a', 'b', { env });
    await writeFile(file(), '{"auths": ');
    const err = await saveCredentials('127.0.0.1:5000', 'a', 'b', { env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect((err as Error).message).toContain(file());
    expect(await readFile(file(), 'utf8')).toBe('{"auths": ');
  });

  it('refuses a user name with a colon', async () => {
    await expect(saveCredentials('127.0.0.1:5000', 'a:b', 'c', { env })).rejects.toThrow(DockerConfigError);
  });
});

describe('credentialsFor', () => {
  it('is undefined without a file or an entry', async () => {
    expect(await credentialsFor('127.0.0.1:5000', { env })).toBeUndefined();
    await saveCredentials('127.0.0.1:5001', 'a', 'b', { env });
    expect(await credentialsFor('127.0.0.1:5000', { env })).toBeUndefined();
  });

  it("reads docker login's identity token, with the name beside it", async () => {
    await saveCredentials('127.0.0.1:5001', 'a', 'b', { env });
    await writeFile(file(), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('ann:'), identitytoken: 'tok' } } }));
    expect(await credentialsFor('127.0.0.1:5000', { env })).toEqual({ username: 'ann', password: '', identityToken: 'tok' });
  });

  it('finds entries docker keyed with a scheme or a path', async () => {
    await saveCredentials('127.0.0.1:5000', 'a', 'b', { env });
    await writeFile(file(), JSON.stringify({ auths: { 'https://hub.example.com/v1/': { auth: b64('ann:pw') } } }));
    expect(await credentialsFor('hub.example.com', { env })).toEqual({ username: 'ann', password: 'pw' });
  });
});

describe('requireCredentials', () => {
  it('says to log in when there are none', async () => {
    await expect(requireCredentials('127.0.0.1:5000', { env })).rejects.toThrow('not logged in to 127.0.0.1:5000: run "nocker login 127.0.0.1:5000" first');
  });

  it('says that credential helpers are not supported when one keeps them', async () => {
    await saveCredentials('127.0.0.1:5001', 'a', 'b', { env });
    await writeFile(file(), JSON.stringify({ auths: { '127.0.0.1:5000': {} }, credHelpers: { '127.0.0.1:5000': 'pass' } }));
    const err = (await requireCredentials('127.0.0.1:5000', { env }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('credential helpers are not supported');
    expect(err.message).toContain('docker-credential-pass');
  });
});

describe('removeCredentials', () => {
  it('removes the entry, identity token included, and keeps the rest', async () => {
    await saveCredentials('127.0.0.1:5000', 'a', 'b', { env });
    await writeFile(
      file(),
      JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('a:b'), identitytoken: 't' }, 'http://127.0.0.1:5000': { auth: b64('c:d') }, 'x:1': {} }, psFormat: 'y' }),
    );
    expect(await removeCredentials('127.0.0.1:5000', { env })).toBe(true);
    expect(await readJson()).toEqual({ auths: { 'x:1': {} }, psFormat: 'y' });
    expect(await removeCredentials('127.0.0.1:5000', { env })).toBe(false);
  });

  it('creates nothing when there is no file', async () => {
    expect(await removeCredentials('127.0.0.1:5000', { env })).toBe(false);
    await expect(stat(env.DOCKER_CONFIG)).rejects.toThrow();
  });
});
