import { describe, expect, it } from 'vitest';
import { parseNockerfileText } from './parse.ts';
import { formatProblem } from './problems.ts';
import { toPlain } from './tree.ts';

describe('parseNockerfileText', () => {
  it('keeps the position of every key and value', () => {
    const { root, problems } = parseNockerfileText('a:\n  b: [x, "y"]\n', 'N.yml');
    expect(problems).toEqual([]);
    expect(root?.kind).toBe('map');
    if (root?.kind !== 'map') return;
    const a = root.entries[0];
    expect(a?.keyPos).toEqual({ file: 'N.yml', line: 1, col: 1 });
    const inner = a?.value;
    if (inner?.kind !== 'map') throw new Error('not a map');
    expect(inner.entries[0]?.keyPos).toEqual({ file: 'N.yml', line: 2, col: 3 });
    const list = inner.entries[0]?.value;
    if (list?.kind !== 'seq') throw new Error('not a list');
    expect(list.items.map((item) => item.pos.col)).toEqual([7, 10]);
  });

  it('reads scalars as YAML 1.2 does', () => {
    const { root } = parseNockerfileText('s: "1.0"\nn: 1.0\nb: true\nz:\nport: 3000:3000\n', 'N.yml');
    expect(root && toPlain(root)).toEqual({ s: '1.0', n: 1, b: true, z: null, port: '3000:3000' });
  });

  it('resolves aliases', () => {
    const { root } = parseNockerfileText('a: &x { k: v }\nb: *x\n', 'N.yml');
    expect(root && toPlain(root)).toEqual({ a: { k: 'v' }, b: { k: 'v' } });
  });

  it('reports every syntax error with its position and no tree', () => {
    const { root, problems } = parseNockerfileText('a: 1\na: 2\nb: [1,\n', 'N.yml');
    expect(root).toBeUndefined();
    expect(problems.map(formatProblem)[0]).toBe('N.yml:2:1: (syntax): Map keys must be unique; expected valid YAML');
    expect(problems.length).toBeGreaterThan(1);
  });

  it('reports more than one document', () => {
    const { problems } = parseNockerfileText('a: 1\n---\nb: 2\n', 'N.yml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'N.yml', path: '(syntax)' });
  });

  it('gives an empty document as an empty value', () => {
    expect(parseNockerfileText('# nothing\n', 'N.yml').root).toMatchObject({ kind: 'scalar', value: null });
  });
});
