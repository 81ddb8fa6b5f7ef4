/**
 * `nocker hub user|namespace|robot|token|audit` against a real Hub, through the command
 * functions, as the admin logged in with DOCKER_CONFIG in a temporary directory. The parsing of
 * their flags is tested beside it, under admin/.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { OciError } from '../hub/oci/errors.ts';
import { hubAdminCommand, type AdminGroup } from './hub-admin.ts';
import { loginCommand } from './login.ts';
import { type CliTestHub, run, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

describe('against a Hub', () => {
  let hub: TestHub;
  let dir: string;
  /** The admin's Docker config. */
  let env: Record<string, string>;
  let cli: CliTestHub;
  const nocker = (group: AdminGroup, argv: string[], stdin = '', as: Record<string, string> = env) =>
    run((args, io) => hubAdminCommand(group, args, io), argv, as, stdin);
  const login = (username: string, password: string, as: Record<string, string>) =>
    run(loginCommand, ['-u', username, '--password-stdin'], as, password);
  /** A fresh Docker config for another account. */
  const otherConfig = async () => ({ DOCKER_CONFIG: await mkdtemp(join(dir, 'other-')), NOCKER_HUB: hub.url });

  beforeAll(async () => {
    cli = await startCliTestHub('hub-admin', ({ url }) => ({ NOCKER_HUB: url }));
    ({ hub, dir, env } = cli);
  });

  afterAll(async () => {
    await cli?.destroy();
  });

  it('says to log in first when there are no saved credentials', async () => {
    await expect(nocker('user', ['list'], '', { DOCKER_CONFIG: join(dir, 'nobody'), NOCKER_HUB: hub.url })).rejects.toThrow(/not logged in to 127\.0\.0\.1:\d+: run "nocker login/);
  });

  it("works with the identity token docker login keeps instead of a password", async () => {
    const form = new URLSearchParams({ grant_type: 'password', username: TEST_ADMIN.username, password: TEST_ADMIN.password, access_type: 'offline', service: new URL(hub.url).host });
    const granted = (await (await fetch(`${hub.url}/token`, { method: 'POST', body: form })).json()) as { refresh_token: string };
    const config = await otherConfig();
    const auth = Buffer.from(`${TEST_ADMIN.username}:`).toString('base64');
    await writeFile(join(config.DOCKER_CONFIG, 'config.json'), JSON.stringify({ auths: { [new URL(hub.url).host]: { auth, identitytoken: granted.refresh_token } } }));
    const listed = await nocker('user', ['list', '--json'], '', config);
    expect((JSON.parse(listed.stdout) as { users: { name: string }[] }).users.map((u) => u.name)).toContain('admin');
  });

  it('creates, lists and deletes users', async () => {
    expect(await nocker('user', ['create', 'ann', '--password-stdin'], 'ann-password-1\n')).toEqual({ code: 0, stdout: 'Created user ann\n', stderr: '' });
    expect((await nocker('user', ['create', 'bob', '--admin', '--password-stdin'], 'bob-password-1')).stdout).toBe('Created administrator bob\n');
    const list = (await nocker('user', ['list'])).stdout.split('\n');
    expect(list[0]).toMatch(/^NAME +ADMIN +DISABLED +CREATED$/);
    expect(list.find((l) => l.startsWith('admin '))).toMatch(/^admin +yes +no +\d{4}-/);
    expect(list.find((l) => l.startsWith('ann '))).toMatch(/^ann +no +no +\d{4}-/);
    expect(list.find((l) => l.startsWith('bob '))).toMatch(/^bob +yes +no/);
    const json = JSON.parse((await nocker('user', ['list', '--json'])).stdout) as { users: { name: string }[] };
    expect(json.users.map((u) => u.name).sort()).toEqual(['admin', 'ann', 'bob']);

    expect((await login('ann', 'ann-password-1', await otherConfig())).stdout).toBe('Login Succeeded\n');
    expect(await nocker('user', ['delete', 'bob'])).toEqual({ code: 0, stdout: 'Deleted user bob\n', stderr: '' });
    expect((await nocker('user', ['list'])).stdout).not.toMatch(/^bob /m);
    const gone = (await nocker('user', ['delete', 'bob']).catch((e: unknown) => e)) as OciError;
    expect(gone).toBeInstanceOf(OciError);
    expect(gone.status).toBe(404);
  });

  it('generates and prints a password once when there is neither a terminal nor stdin', async () => {
    const created = await nocker('user', ['create', 'cid']);
    const password = /^Password: (\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(created.stdout).toContain('shown only this once');
    expect((await login('cid', password, await otherConfig())).stdout).toBe('Login Succeeded\n');

    const changed = await nocker('user', ['passwd', 'cid', '--password-stdin'], 'cid-new-password');
    expect(changed.stdout).toBe('Changed the password of cid\n');
    await expect(login('cid', password, await otherConfig())).rejects.toThrow(OciError);
    expect((await login('cid', 'cid-new-password', await otherConfig())).stdout).toBe('Login Succeeded\n');
  });

  it('prints the Hub’s message when a user may not do something', async () => {
    await nocker('user', ['create', 'dora', '--password-stdin'], 'dora-password-1');
    const dora = await otherConfig();
    await login('dora', 'dora-password-1', dora);
    const err = (await nocker('user', ['list'], '', dora).catch((e: unknown) => e)) as OciError;
    expect(err).toBeInstanceOf(OciError);
    expect(err.status).toBe(403);
    expect(err.message).not.toBe('');
  });

  it('creates a namespace, changes its settings and its members', async () => {
    await nocker('user', ['create', 'eve', '--password-stdin'], 'eve-password-1');
    expect((await nocker('namespace', ['create', 'team'])).stdout).toBe('Created private namespace team\n');
    expect((await nocker('namespace', ['create', 'open', '--public'])).stdout).toBe('Created public namespace open\n');

    const set = await nocker('namespace', ['set', 'team', '--immutable-tags', 'on', '--delete-policy', 'owner']);
    expect(set.stdout).toMatch(/^immutable tags: +on$/m);
    expect(set.stdout).toMatch(/^delete policy: +owner$/m);
    const shown = JSON.parse((await nocker('namespace', ['show', 'team', '--json'])).stdout) as { visibility: string; immutableTags: boolean; deletePolicy: string };
    expect(shown).toMatchObject({ visibility: 'private', immutableTags: true, deletePolicy: 'owner' });
    await expect(nocker('namespace', ['set', 'team'])).rejects.toThrow(UsageError);
    await expect(nocker('namespace', ['set', 'team', '--visibility', 'secret'])).rejects.toThrow('--visibility: expected public, private');

    const list = (await nocker('namespace', ['list'])).stdout;
    expect(list).toMatch(/^NAME +VISIBILITY +IMMUTABLE TAGS +DELETE POLICY +YOUR ROLE$/m);
    expect(list).toMatch(/^open +public +off +/m);
    expect(list).toMatch(/^team +private +on +owner/m);

    expect((await nocker('namespace', ['member', 'add', 'team', 'eve', 'developer'])).stdout).toBe('eve is a developer of team\n');
    expect((await nocker('namespace', ['members', 'team'])).stdout).toMatch(/^eve +user +developer$/m);
    await expect(nocker('namespace', ['member', 'add', 'team', 'eve', 'boss'])).rejects.toThrow('ROLE: expected owner, maintainer, developer, reader');
    expect((await nocker('namespace', ['member', 'remove', 'team', 'eve'])).stdout).toBe('Removed eve from team\n');
    expect((await nocker('namespace', ['members', 'team'])).stdout).not.toMatch(/^eve /m);

    expect((await nocker('namespace', ['delete', 'open'])).stdout).toBe('Deleted namespace open\n');
    await expect(nocker('namespace', ['show', 'open'])).rejects.toThrow(OciError);
  });

  it('creates a robot whose secret, printed once, logs in', async () => {
    const created = await nocker('robot', ['create', 'ci', '--access', 'team/*:pull,push', '--access', 'base:pull', '--expires', '30d', '--description', 'CI pushes']);
    expect(created.stdout).toMatch(/^Created robot\$ci\nSecret: \S+\n$/);
    expect(created.stderr).toContain('shown only this once');
    expect(created.stderr).toContain(`docker login ${new URL(hub.url).host} -u 'robot$ci' --password-stdin`);
    const secret = /^Secret: (\S+)$/m.exec(created.stdout)?.[1] ?? '';

    const robotConfig = await otherConfig();
    expect((await run(loginCommand, [hub.url, '-u', 'robot$ci', '--password-stdin'], robotConfig, `${secret}\n`)).stdout).toBe('Login Succeeded\n');

    const list = (await nocker('robot', ['list'])).stdout;
    expect(list).toMatch(/^NAME +ACCESS +EXPIRES +CREATED BY +DESCRIPTION$/m);
    expect(list).toMatch(/^robot\$ci +team\/\*:pull,push base:pull +\d{4}-\d\d-\d\dT[\d:]+Z +admin +CI pushes$/m);
    await expect(nocker('robot', ['create', 'x', '--access', 'team/*'])).rejects.toThrow(UsageError);
    await expect(nocker('robot', ['create', 'x'])).rejects.toThrow('at least one --access');

    expect((await nocker('robot', ['delete', 'ci'])).stdout).toBe('Deleted robot$ci\n');
    await expect(run(loginCommand, [hub.url, '-u', 'robot$ci', '--password-stdin'], await otherConfig(), secret)).rejects.toThrow(OciError);
  });

  it('lists tokens and refuses to revoke one that does not exist', async () => {
    const list = await nocker('token', ['list']);
    expect(list.stdout).toMatch(/^ID +CREATED +EXPIRES +LAST USED +USER AGENT$/m);
    const json = JSON.parse((await nocker('token', ['list', '--json'])).stdout) as { tokens: unknown[] };
    expect(Array.isArray(json.tokens)).toBe(true);
    const err = (await nocker('token', ['revoke', 'no-such-token']).catch((e: unknown) => e)) as OciError;
    expect(err).toBeInstanceOf(OciError);
    expect([400, 404]).toContain(err.status);
  });

  it('reads the audit log, filtered', async () => {
    await expect(login('admin', 'not-the-password', await otherConfig())).rejects.toThrow(OciError);
    const all = await nocker('audit', []);
    expect(all.stdout).toMatch(/^TIME +ACTOR +ACTION +REPOSITORY +OUTCOME +CLIENT +DETAIL$/m);
    expect(all.stdout).toMatch(/^\S+ +admin +member\.set +- +success +127\.0\.0\.1 +.*account=eve/m);
    expect(all.stdout.split('\n').length).toBeGreaterThan(3);

    const page = JSON.parse((await nocker('audit', ['--actor', 'admin', '--since', '1h', '--limit', '5', '--json'])).stdout) as { entries: { actor: string | null; at: string }[] };
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.length).toBeLessThanOrEqual(5);
    for (const entry of page.entries) expect(entry.actor).toBe('admin');
    await expect(nocker('audit', ['--limit', 'lots'])).rejects.toThrow('--limit');
  });

  it('prints its help on --help and for a group alone', async () => {
    expect((await nocker('robot', ['--help'])).stdout).toContain('nocker hub robot create NAME --access');
    expect((await nocker('user', [])).code).toBe(1);
    expect((await nocker('namespace', ['create', '--help'])).stdout).toContain('nocker hub namespace set');
    await expect(nocker('token', ['burn'])).rejects.toThrow('unknown hub token command "burn"');
    await expect(nocker('user', ['create'])).rejects.toThrow('nocker hub user create takes NAME, got none');
    await expect(nocker('namespace', ['member', 'add', 'team', 'eve'])).rejects.toThrow('nocker hub namespace member add takes NAME ACCOUNT ROLE, got team eve');
  });
});
