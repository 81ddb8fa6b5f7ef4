import { describe, expect, it } from 'vitest';
import { applyEnvironment, environmentChain, mergeNodes, overlayPath } from './environments.ts';
import { parseNockerfileText } from './parse.ts';
import { toPlain, type MapNode } from './tree.ts';

function tree(text: string, file = 'N.yml'): MapNode {
  const { root } = parseNockerfileText(text, file);
  if (root?.kind !== 'map') throw new Error('not a map');
  return root;
}

describe('mergeNodes', () => {
  it('merges maps key by key, recursively', () => {
    const merged = mergeNodes(tree('a: { x: 1, y: { p: 1, q: 2 } }\nb: 1\n'), tree('a: { y: { q: 3, r: 4 }, z: 5 }\nc: 2\n'));
    expect(toPlain(merged)).toEqual({ a: { x: 1, y: { p: 1, q: 3, r: 4 }, z: 5 }, b: 1, c: 2 });
  });

  it('replaces lists rather than appending', () => {
    expect(toPlain(mergeNodes(tree('ports: [1, 2, 3]\n'), tree('ports: [4]\n')))).toEqual({ ports: [4] });
  });

  it('replaces a scalar with a map and a map with a scalar', () => {
    expect(toPlain(mergeNodes(tree('a: 1\n'), tree('a: { b: 2 }\n')))).toEqual({ a: { b: 2 } });
    expect(toPlain(mergeNodes(tree('a: { b: 2 }\n'), tree('a: x\n')))).toEqual({ a: 'x' });
  });

  it('keeps the position of the value that won', () => {
    const merged = mergeNodes(tree('a: 1\n', 'base.yml'), tree('\n\na: 2\n', 'over.yml'));
    expect(merged.kind === 'map' && merged.entries[0]?.value.pos).toEqual({ file: 'over.yml', line: 3, col: 4 });
  });
});

const FILE = `name: app
environment: development
run: { user: base, ports: ["1"], environment: { A: base } }
environments:
  production: { run: { user: prod } }
  staging: { extends: production, run: { environment: { B: staging } } }
  canary: { extends: staging, run: { ports: ["2"] } }
`;

describe('environmentChain', () => {
  it('lists the overrides ancestor first, without extends', () => {
    expect(environmentChain(tree(FILE), 'canary').map(toPlain)).toEqual([
      { run: { user: 'prod' } },
      { run: { environment: { B: 'staging' } } },
      { run: { ports: ['2'] } },
    ]);
  });

  it('is empty for a built-in environment without an entry', () => {
    expect(environmentChain(tree(FILE), 'testing')).toEqual([]);
  });

  it('stops at a cycle instead of looping', () => {
    expect(environmentChain(tree('environments:\n  a: { extends: b }\n  b: { extends: a }\n'), 'a')).toHaveLength(2);
  });
});

describe('applyEnvironment', () => {
  it('merges the chain over the file, drops environments: and names the environment', () => {
    expect(toPlain(applyEnvironment(tree(FILE), 'canary'))).toEqual({
      name: 'app',
      environment: 'canary',
      run: { user: 'prod', ports: ['2'], environment: { A: 'base', B: 'staging' } },
    });
  });

  it('merges the overlay file last', () => {
    const overlay = tree('run: { user: overlay, environment: { C: overlay } }\n', 'N.canary.yml');
    expect(toPlain(applyEnvironment(tree(FILE), 'canary', overlay))).toMatchObject({ run: { user: 'overlay', ports: ['2'], environment: { A: 'base', B: 'staging', C: 'overlay' } } });
  });

  it('leaves the file as it is for an environment without overrides', () => {
    expect(toPlain(applyEnvironment(tree(FILE), 'testing'))).toEqual({ name: 'app', environment: 'testing', run: { user: 'base', ports: ['1'], environment: { A: 'base' } } });
  });
});

describe('overlayPath', () => {
  it('puts the environment before the extension, beside the file', () => {
    expect(overlayPath('Nockerfile.yml', 'dev')).toBe('Nockerfile.dev.yml');
    expect(overlayPath('app/Nockerfile.yml', 'dev')).toBe('app/Nockerfile.dev.yml');
    expect(overlayPath('/abs/Nockerfile.yaml', 'dev')).toBe('/abs/Nockerfile.dev.yaml');
    expect(overlayPath('Nockerfile', 'dev')).toBe('Nockerfile.dev.yml');
  });
});
