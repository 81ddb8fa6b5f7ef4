import { describe, expect, it } from 'vitest';
import { parseNockerfileText } from './parse.ts';
import { formatProblem } from './problems.ts';
import { toPlain, type MapNode } from './tree.ts';
import { hasReference, substitute, substituteVariables } from './variables.ts';

const lookup = (vars: Record<string, string>) => (name: string) => vars[name];

describe('substitute', () => {
  it('replaces ${VAR} and uses ${VAR:-default} when unset or empty', () => {
    expect(substitute('${A}-${B:-b}-${C:-c}', lookup({ A: 'a', C: '' }))).toEqual({ ok: true, value: 'a-b-c' });
    expect(substitute('${A:-}', lookup({}))).toEqual({ ok: true, value: '' });
    expect(substitute('${A:-x:y/z}', lookup({}))).toEqual({ ok: true, value: 'x:y/z' });
  });

  it('keeps an empty value when there is no default', () => {
    expect(substitute('[${A}]', lookup({ A: '' }))).toEqual({ ok: true, value: '[]' });
  });

  it('turns $${…} into a literal ${…} and leaves other dollars alone', () => {
    expect(substitute('$${A} $A $$ ${A}', lookup({ A: 'x' }))).toEqual({ ok: true, value: '${A} $A $$ x' });
  });

  it('reports unknown variables, unterminated and malformed references', () => {
    expect(substitute('${NOPE}', lookup({}))).toMatchObject({ ok: false, message: 'unknown variable "NOPE"' });
    expect(substitute('${A', lookup({ A: 'x' }))).toMatchObject({ ok: false, message: 'unterminated reference in "${A"' });
    expect(substitute('${1A}', lookup({}))).toMatchObject({ ok: false, message: '"${1A}" is not a variable reference' });
    expect(substitute('${}', lookup({}))).toMatchObject({ ok: false });
  });
});

describe('hasReference', () => {
  it('sees ${…} but not $${…}', () => {
    expect(hasReference('${A}')).toBe(true);
    expect(hasReference('x${A}y')).toBe(true);
    expect(hasReference('$${A}')).toBe(false);
    expect(hasReference('$A')).toBe(false);
  });
});

function tree(text: string): MapNode {
  const { root } = parseNockerfileText(text, 'N.yml');
  if (root?.kind !== 'map') throw new Error('not a map');
  return root;
}

describe('substituteVariables', () => {
  it('takes variables: before the process environment; variables may read the environment', () => {
    const root = tree('variables:\n  A: file\n  B: ${HOME_DIR}/b\nx: ${A} ${B} ${C}\n');
    const { root: out, problems } = substituteVariables(root, { A: 'env', HOME_DIR: '/home', C: 'c' });
    expect(problems).toEqual([]);
    expect(toPlain(out)).toEqual({ variables: { A: 'file', B: '/home/b' }, x: 'file /home/b c' });
  });

  it('substitutes inside lists and maps, leaves keys and non-strings alone', () => {
    const root = tree('m:\n  ${K}: ["${V}", 3, true]\n');
    expect(toPlain(substituteVariables(root, { V: 'v', K: 'k' }).root)).toEqual({ m: { '${K}': ['v', 3, true] } });
  });

  it('reports each unknown variable at its value, with its key path', () => {
    const root = tree('variables: { A: "${MISSING}" }\nrun:\n  ports: ["${P}"]\n');
    expect(substituteVariables(root, {}).problems.map(formatProblem)).toEqual([
      'N.yml:1:17: variables.A: unknown variable "MISSING"; expected "MISSING" under variables:, in the environment, or a default: ${MISSING:-value}',
      'N.yml:3:11: run.ports[0]: unknown variable "P"; expected "P" under variables:, in the environment, or a default: ${P:-value}',
    ]);
  });
});
