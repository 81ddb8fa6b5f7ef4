/** `nocker deps` against a real Hub: bases, dependents (flat and as a tree), the rebuild plan. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage, testLayer, type TestImage } from '../hub/deps/testing.ts';
import { depsCommand } from './deps.ts';
import { shortDigest } from './progress.ts';
import { type CliTestHub, run, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let cli: CliTestHub;
let host: string;
let env: Record<string, string>;
let base: TestImage;
let app: TestImage;
let svc: TestImage;
let web: TestImage;

const os = testLayer('os');
const short = (image: TestImage) => `sha256:${shortDigest(image.digest)}`;

beforeAll(async () => {
  cli = await startCliTestHub('deps-cli');
  ({ host, env } = cli);
  const client = cli.admin();
  base = await pushTestImage(client, 'library/base', '1', [os]);
  app = await pushTestImage(client, 'team/app', 'v1', [testLayer('os', { gzip: true }), testLayer('app')]);
  svc = await pushTestImage(client, 'team/svc', 'v1', [os, testLayer('svc')], {
    'org.opencontainers.image.base.name': `${host}/library/base:1`,
    'org.opencontainers.image.base.digest': base.digest,
  });
  web = await pushTestImage(client, 'team/web', 'v1', [os, testLayer('app'), testLayer('web')]);
}, 60_000);

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker deps', () => {
  it('prints the chain of bases, or draws it as a tree', async () => {
    const flat = await run(depsCommand, [`${host}/team/web:v1`], env);
    expect(flat.code).toBe(0);
    expect(flat.stdout).toBe(
      [`team/web:v1 ${short(web)}`, `  team/app:v1 ${short(app)}  (by layers, 2 shared layers)`, `  library/base:1 ${short(base)}  (by layers, 1 shared layer)`, ''].join('\n'),
    );
    const tree = await run(depsCommand, ['team/web:v1', '--hub', host, '--tree'], env);
    expect(tree.stdout).toBe(
      [`library/base:1 ${short(base)}`, `└── team/app:v1 ${short(app)}  (by layers, 1 shared layer)`, `    └── team/web:v1 ${short(web)}  (by layers, 2 shared layers)`, ''].join('\n'),
    );
    const annotated = await run(depsCommand, [`${host}/team/svc:v1`], env);
    expect(annotated.stdout).toBe([`team/svc:v1 ${short(svc)}`, `  library/base:1 ${short(base)}  (by annotation, 1 shared layer)`, ''].join('\n'));
    const root = await run(depsCommand, [`${host}/library/base:1`], env);
    expect(root.stdout).toBe([`library/base:1 ${short(base)}`, '  built on no image this Hub knows', ''].join('\n'));
  });

  it('lists the dependents flat, as a tree, or as JSON', async () => {
    const flat = await run(depsCommand, [`${host}/library/base:1`, '--dependents'], env);
    expect(flat.stdout).toBe(
      [`team/svc:v1 ${short(svc)}  (by annotation)`, `team/app:v1 ${short(app)}  (by layers)`, `team/web:v1 ${short(web)}  (by layers)  on team/app:v1 ${short(app)}`, ''].join('\n'),
    );
    const tree = await run(depsCommand, [`${host}/library/base:1`, '--dependents', '--tree'], env);
    expect(tree.stdout).toBe(
      [
        `library/base:1 ${short(base)}`,
        `├── team/svc:v1 ${short(svc)}  (by annotation)`,
        `└── team/app:v1 ${short(app)}  (by layers)`,
        `    └── team/web:v1 ${short(web)}  (by layers)`,
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await run(depsCommand, [`${host}/library/base@${base.digest}`, '--dependents', '--json'], env)).stdout) as { dependents: { repository: string; depth: number }[] };
    expect(json.dependents.map((d) => [d.repository, d.depth])).toEqual([
      ['team/svc', 1],
      ['team/app', 1],
      ['team/web', 2],
    ]);
  });

  it('prints the rebuild plan once the base tag moves', async () => {
    const clean = await run(depsCommand, [`${host}/library/base:1`, '--rebuild-plan'], env);
    expect(clean.stdout).toBe(`library/base:1 is ${short(base)}\nnothing to rebuild\n`);
    const moved = await pushTestImage(cli.admin(), 'library/base', '1', [testLayer('os 2')]);
    const plan = await run(depsCommand, [`${host}/library/base:1`, '--rebuild-plan'], env);
    const at = (image: TestImage) => image.digest.slice(0, 19);
    expect(plan.stdout).toBe(
      [
        `library/base:1 is ${short(moved)}`,
        'rebuild 3 images:',
        `  team/svc:v1 ${short(svc)}`,
        `      base tag moved: built on library/base:1 at ${at(base)}, now ${at(moved)}`,
        `  team/app:v1 ${short(app)}`,
        `      built on library/base@${at(base)}, no longer tagged; library/base:1 is now ${at(moved)}`,
        `  team/web:v1 ${short(web)}`,
        `      built on team/app@${at(app)}, which is to be rebuilt`,
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await run(depsCommand, [`${host}/library/base:1`, '--rebuild-plan', '--json'], env)).stdout) as { images: unknown[] };
    expect(json.images).toHaveLength(3);
  });

  it('refuses what it cannot do', async () => {
    await expect(run(depsCommand, [], env)).rejects.toThrow(UsageError);
    await expect(run(depsCommand, ['team/app:v1', '--rebuild-plan', '--tree'], env)).rejects.toThrow(UsageError);
    await expect(run(depsCommand, [`${host}/team/none:v1`], env)).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
    expect((await run(depsCommand, ['--help'], env)).stdout).toContain('nocker deps REF --dependents');
  });
});
