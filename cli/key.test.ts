/** `nocker key generate`: the files it writes, their modes, encryption, refusals and --json. */
import { sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyId, readPrivateKeyFile, readPublicKeyFile } from '../engine/sign/keys.ts';
import { keyCommand } from './key.ts';
import { run } from './testing.ts';
import { UsageError } from './usage.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-key-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const generate = (args: string[], env: Record<string, string> = {}) => run(keyCommand, ['generate', ...args], env);

/** The permission bits of `path`, as `0o600`. */
async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** True when the files at `privatePath` and `publicPath` are the two halves of one pair. */
async function filesMatch(privatePath: string, publicPath: string, env: Record<string, string> = {}): Promise<boolean> {
  const message = Buffer.from('payload');
  const signature = sign('sha256', message, await readPrivateKeyFile(privatePath, env));
  return verify('sha256', message, await readPublicKeyFile(publicPath), signature);
}

describe('nocker key generate', () => {
  it('writes NAME.key (mode 0600) and NAME.pub in --out, and prints the public key\'s path', async () => {
    const result = await generate(['--out', dir, '--name', 'release']);
    const [privatePath, publicPath] = [join(dir, 'release.key'), join(dir, 'release.pub')];
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${publicPath}\n`);
    expect(result.stderr).toContain(`private key ${privatePath} (not encrypted: set NOCKER_KEY_PASSWORD to encrypt it)`);
    expect(await modeOf(privatePath)).toBe(0o600);
    expect(await readFile(privatePath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(await readFile(publicPath, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(await filesMatch(privatePath, publicPath)).toBe(true);
  });

  it('encrypts the private key with NOCKER_KEY_PASSWORD', async () => {
    const env = { NOCKER_KEY_PASSWORD: 'a long passphrase' };
    const result = await generate(['--out', dir], env);
    const privatePath = join(dir, 'nocker.key');
    expect(result.stderr).toContain(`private key ${privatePath} (encrypted with NOCKER_KEY_PASSWORD)`);
    expect(await readFile(privatePath, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(await modeOf(privatePath)).toBe(0o600);
    expect(await filesMatch(privatePath, join(dir, 'nocker.pub'), env)).toBe(true);
    await expect(readPrivateKeyFile(privatePath, {})).rejects.toThrow('is encrypted: set NOCKER_KEY_PASSWORD');
  });

  it('does not encrypt when NOCKER_KEY_PASSWORD is empty', async () => {
    const result = await generate(['--out', dir], { NOCKER_KEY_PASSWORD: '' });
    expect(result.stderr).toContain('(not encrypted');
    expect(await readFile(join(dir, 'nocker.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('writes nocker.key and nocker.pub in the current directory by default', async () => {
    const before = process.cwd();
    process.chdir(dir);
    try {
      expect((await generate([])).stdout).toBe('nocker.pub\n');
    } finally {
      process.chdir(before);
    }
    expect(await modeOf(join(dir, 'nocker.key'))).toBe(0o600);
  });

  it('makes the --out directory when it is missing', async () => {
    const out = join(dir, 'keys', 'signing');
    await generate(['--out', out]);
    expect(await filesMatch(join(out, 'nocker.key'), join(out, 'nocker.pub'))).toBe(true);
  });

  it('prints privateKey, publicKey, keyId and encrypted with --json, and the key id on stderr', async () => {
    const result = await generate(['--out', dir, '--json'], { NOCKER_KEY_PASSWORD: 'pw' });
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    const id = keyId(await readPublicKeyFile(join(dir, 'nocker.pub')));
    expect(document).toEqual({ privateKey: join(dir, 'nocker.key'), publicKey: join(dir, 'nocker.pub'), keyId: id, encrypted: true });
    expect(result.stderr).toContain(`key id ${id}`);
  });

  it('prints nothing on stderr with -q', async () => {
    const result = await generate(['--out', dir, '-q']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${join(dir, 'nocker.pub')}\n`);
  });

  it('refuses to overwrite either file, leaving the existing ones as they were', async () => {
    await generate(['--out', dir]);
    const before = await readFile(join(dir, 'nocker.key'), 'utf8');
    await expect(generate(['--out', dir])).rejects.toThrow(/nocker\.key and .*nocker\.pub exist already .*choose another --name or --out/);
    expect(await readFile(join(dir, 'nocker.key'), 'utf8')).toBe(before);

    await writeFile(join(dir, 'lone.pub'), 'someone else\'s key');
    await expect(generate(['--out', dir, '--name', 'lone'])).rejects.toThrow(/lone\.pub exists already/);
    await expect(stat(join(dir, 'lone.key'))).rejects.toThrow('ENOENT');
  });

  it('turns command line mistakes into usage errors', async () => {
    await expect(generate(['--name', '../elsewhere'])).rejects.toThrow(UsageError);
    await expect(generate(['--name', 'nocker.key'])).rejects.toThrow('without .key or .pub');
    await expect(generate([dir])).rejects.toThrow(UsageError);
    await expect(generate(['--bits', '4096'])).rejects.toThrow(UsageError);
    await expect(run(keyCommand, ['rotate'], {})).rejects.toThrow(new UsageError('unknown key command "rotate"'));
  });

  it('prints its help with an example, exiting 1 when no subcommand is given', async () => {
    const help = await generate(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Example:');
    expect(help.stdout).toContain('nocker key generate --out keys --name release');
    expect((await run(keyCommand, ['--help'], {})).stdout).toBe(help.stdout);
    expect((await run(keyCommand, [], {})).code).toBe(1);
  });
});
