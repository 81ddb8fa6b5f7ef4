/**
 * Environments: which overrides apply for `--env NAME`, in which order, and how they merge over
 * the file — maps merge key by key, everything else (lists included) is replaced.
 */
import { basename, dirname, join } from 'node:path';
import { getEntry, getMap, withEntry, withoutKeys, type MapEntry, type MapNode, type TreeNode } from './tree.ts';

/**
 * `over` merged onto `base`: maps merge key by key (recursively), any other value replaces.
 *
 * @example
 * // base { ports: [a, b], environment: { A: 1 } }, over { ports: [c], environment: { B: 2 } }
 * // → { ports: [c], environment: { A: 1, B: 2 } }
 */
export function mergeNodes(base: TreeNode, over: TreeNode): TreeNode {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  const entries: MapEntry[] = base.entries.map((entry) => {
    const replacement = getEntry(over, entry.key);
    return replacement === undefined ? entry : { ...entry, value: mergeNodes(entry.value, replacement.value) };
  });
  for (const entry of over.entries) if (getEntry(base, entry.key) === undefined) entries.push(entry);
  return { ...base, entries };
}

/**
 * The overrides that apply for environment `name`, ancestor first (following `extends`), each
 * without its `extends` key. A built-in environment without an entry has none. Assumes the
 * references were validated (no cycles); a cycle is cut rather than followed forever.
 *
 * @example
 * // embedded: { extends: production }, production: { … }
 * environmentChain(root, 'embedded') // [production's overrides, embedded's overrides]
 */
export function environmentChain(root: MapNode, name: string): MapNode[] {
  const environments = getMap(root, 'environments');
  const chain: MapNode[] = [];
  const seen = new Set<string>();
  let current: string | undefined = name;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const overrides: MapNode | undefined = environments === undefined ? undefined : getMap(environments, current);
    if (overrides === undefined) break;
    chain.unshift(withoutKeys(overrides, 'extends'));
    const parent: TreeNode | undefined = getEntry(overrides, 'extends')?.value;
    current = parent?.kind === 'scalar' && typeof parent.value === 'string' ? parent.value : undefined;
  }
  return chain;
}

/**
 * The effective file for environment `name`: the file without `environments:`, with the
 * environment's chain of overrides merged over it, then `overlay` (the `Nockerfile.<env>.yml`)
 * last; `environment:` is set to `name`.
 *
 * @example
 * const effective = applyEnvironment(root, 'development', overlayRoot);
 */
export function applyEnvironment(root: MapNode, name: string, overlay?: MapNode): MapNode {
  let merged: TreeNode = withoutKeys(root, 'environments');
  for (const overrides of environmentChain(root, name)) merged = mergeNodes(merged, overrides);
  if (overlay !== undefined) merged = mergeNodes(merged, overlay);
  const result = merged.kind === 'map' ? merged : root;
  const pos = getEntry(root, 'environment')?.value.pos ?? root.pos;
  return withEntry(result, 'environment', { kind: 'scalar', pos, value: name });
}

/**
 * The overlay file for an environment: `Nockerfile.<env>.yml` beside the Nockerfile (for a
 * file named `X.yaml`, `X.<env>.yaml`).
 *
 * @example
 * overlayPath('app/Nockerfile.yml', 'development') // 'app/Nockerfile.development.yml'
 */
export function overlayPath(file: string, env: string): string {
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  const overlay = dot <= 0 ? `${name}.${env}.yml` : `${name.slice(0, dot)}.${env}${name.slice(dot)}`;
  const dir = dirname(file);
  return dir === '.' && !file.startsWith('./') ? overlay : join(dir, overlay);
}
