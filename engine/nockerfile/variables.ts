/**
 * `${VAR}` and `${VAR:-default}` in string values, taken from the file's `variables:` first, then
 * from the process environment; `$${…}` is a literal `${…}`.
 */
import type { Problem } from './problems.ts';
import { getEntry, withEntry, type MapNode, type TreeNode } from './tree.ts';

/** The environment variables substitution may read. */
export type Env = Record<string, string | undefined>;

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const REFERENCE_EXPECTED = '${NAME} or ${NAME:-default}';

/**
 * True when `text` holds a `${…}` reference (not counting `$${…}` escapes).
 *
 * @example
 * hasReference('${REGISTRY}/app:1') // true
 * hasReference('$${LITERAL}') // false
 */
export function hasReference(text: string): boolean {
  return text.replaceAll('$${', '').includes('${');
}

/** A string with its references replaced, or what kept it from being. */
export type Substituted = { ok: true; value: string } | { ok: false; message: string; expected: string };

/**
 * Replaces the references in one string; `lookup` gives a variable's value or undefined.
 * As in the shell, the default applies when the variable is unset or empty.
 *
 * @example
 * substitute('${HOST:-127.0.0.1}:${PORT}', (n) => ({ PORT: '5000' })[n]) // { ok: true, value: '127.0.0.1:5000' }
 */
export function substitute(text: string, lookup: (name: string) => string | undefined): Substituted {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) return { ok: false, message: `unterminated reference in ${JSON.stringify(text)}`, expected: REFERENCE_EXPECTED };
      const inner = text.slice(i + 2, end);
      const match = NAME.exec(inner);
      const name = match?.[1];
      if (match === null || name === undefined) return { ok: false, message: `"\${${inner}}" is not a variable reference`, expected: REFERENCE_EXPECTED };
      const value = lookup(name);
      const fallback = match[2];
      if (value !== undefined && (value !== '' || fallback === undefined)) out += value;
      else if (fallback !== undefined) out += fallback;
      else return { ok: false, message: `unknown variable "${name}"`, expected: `"${name}" under variables:, in the environment, or a default: \${${name}:-value}` };
      i = end + 1;
      continue;
    }
    out += text[i];
    i += 1;
  }
  return { ok: true, value: out };
}

/**
 * Substitutes every string value of a resolved Nockerfile tree (keys are left alone). The
 * values under `variables:` may themselves refer to the process environment.
 *
 * @example
 * const { root, problems } = substituteVariables(merged, process.env);
 */
export function substituteVariables(root: MapNode, processEnv: Env): { root: MapNode; problems: Problem[] } {
  const problems: Problem[] = [];
  const variables = new Map<string, string>();
  const fromEnv = (name: string) => processEnv[name];

  let result = root;
  const variablesEntry = getEntry(root, 'variables');
  if (variablesEntry?.value.kind === 'map') {
    const substituted = walk(variablesEntry.value, 'variables', fromEnv, problems);
    if (substituted.kind === 'map') {
      for (const entry of substituted.entries) {
        if (entry.value.kind === 'scalar' && entry.value.value !== null) variables.set(entry.key, String(entry.value.value));
      }
    }
    result = withEntry(result, 'variables', substituted);
  }
  const lookup = (name: string) => variables.get(name) ?? processEnv[name];
  result = {
    ...result,
    entries: result.entries.map((entry) => (entry.key === 'variables' ? entry : { ...entry, value: walk(entry.value, entry.key, lookup, problems) })),
  };
  return { root: result, problems };
}

function walk(node: TreeNode, path: string, lookup: (name: string) => string | undefined, problems: Problem[]): TreeNode {
  if (node.kind === 'scalar') {
    if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
    const substituted = substitute(node.value, lookup);
    if (!substituted.ok) {
      problems.push({ ...node.pos, path, message: substituted.message, expected: substituted.expected });
      return node;
    }
    return { ...node, value: substituted.value };
  }
  if (node.kind === 'seq') return { ...node, items: node.items.map((item, i) => walk(item, `${path}[${i}]`, lookup, problems)) };
  return { ...node, entries: node.entries.map((e) => ({ ...e, value: walk(e.value, `${path}.${e.key}`, lookup, problems) })) };
}
