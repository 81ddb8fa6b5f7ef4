import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectCopy, contextPath, ContextError } from './context.ts';
import { parseIgnore } from './ignore.ts';

let dir: string;
let context: string;
const none = parseIgnore('');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-context-'));
  context = join(dir, 'ctx');
  await mkdir(join(context, 'src/lib'), { recursive: true });
  await writeFile(join(context, 'src/main.sh'), 'echo hi\n');
  await chmod(join(context, 'src/main.sh'), 0o755);
  await writeFile(join(context, 'src/lib/util.txt'), 'util\n');
  await writeFile(join(context, 'debug.log'), 'noise\n');
  await symlink('src/main.sh', join(context, 'start'));
  await writeFile(join(dir, 'outside.txt'), 'secret\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('copy sources', () => {
  it('are context-relative paths', () => {
    expect(contextPath('.')).toBe('');
    expect(contextPath('./src//lib/')).toBe('src/lib');
    expect(() => contextPath('../x')).toThrow(ContextError);
    expect(() => contextPath('src/../../x')).toThrow('leaves the build context');
    expect(() => contextPath('/etc/passwd')).toThrow('is absolute');
  });

  it('copies a directory under dest with its modes, parents created, symlinks kept', async () => {
    const set = await collectCopy(context, '.', '/opt/app', none);
    const byPath = new Map(set.entries.map((e) => [e.path, e]));
    expect([...byPath.keys()]).toEqual(expect.arrayContaining(['opt', 'opt/app', 'opt/app/src', 'opt/app/src/main.sh', 'opt/app/src/lib/util.txt', 'opt/app/start']));
    expect(byPath.get('opt')).toMatchObject({ type: 'directory', mode: 0o755 });
    expect(byPath.get('opt/app/src/main.sh')).toMatchObject({ type: 'file', mode: 0o755, size: 8 });
    expect(byPath.get('opt/app/start')).toMatchObject({ type: 'symlink', target: 'src/main.sh' });
    expect(set.items.find((i) => i.path === 'opt/app/src/main.sh')?.digest).toMatch(/^sha256:/);
  });

  it('copies a file to dest, or into dest/ when it ends with a slash', async () => {
    const file = await collectCopy(context, 'src/main.sh', '/usr/bin/run', none);
    expect(file.entries.map((e) => e.path)).toEqual(['usr', 'usr/bin', 'usr/bin/run']);
    const into = await collectCopy(context, 'src/main.sh', '/bin/', none);
    expect(into.entries.map((e) => e.path)).toEqual(['bin', 'bin/main.sh']);
  });

  it('honours .nockerignore, including re-included paths below excluded directories', async () => {
    const set = await collectCopy(context, '.', '/app', parseIgnore('*.log\nsrc\n!src/lib/util.txt\n'));
    const paths = set.entries.map((e) => e.path);
    expect(paths).not.toContain('app/debug.log');
    expect(paths).not.toContain('app/src/main.sh');
    expect(paths).toContain('app/src/lib/util.txt');
    await expect(collectCopy(context, 'debug.log', '/x', parseIgnore('*.log'))).rejects.toThrow('excluded by .nockerignore');
  });

  it('refuses .., absolute sources, missing ones and symlinks out of the context', async () => {
    await expect(collectCopy(context, '../outside.txt', '/x', none)).rejects.toThrow('leaves the build context');
    await expect(collectCopy(context, join(dir, 'outside.txt'), '/x', none)).rejects.toThrow('is absolute');
    await expect(collectCopy(context, 'nothing', '/x', none)).rejects.toThrow('does not exist');
    const evil = join(dir, 'evil');
    await mkdir(evil);
    await symlink('../outside.txt', join(evil, 'leak'));
    await expect(collectCopy(evil, '.', '/x', none)).rejects.toThrow(/symlink "leak" points outside the build context/);
    await expect(collectCopy(evil, 'leak', '/x', none)).rejects.toThrow('resolves outside the build context');
    const absolute = join(dir, 'absolute');
    await mkdir(absolute);
    await symlink('/etc/passwd', join(absolute, 'passwd'));
    await expect(collectCopy(absolute, '.', '/x', none)).rejects.toThrow('points outside the build context');
  });
});
