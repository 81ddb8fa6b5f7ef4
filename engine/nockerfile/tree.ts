/**
 * The Nockerfile as a tree that remembers where each value came from: maps, lists and scalars,
 * each with its source position. Validation, environment merging and variable substitution all
 * work on this tree, so that a problem found at any stage can still name its file, line and column.
 */
import type { SourcePos } from './problems.ts';

export type Scalar = string | number | boolean | null;

/** A plain JSON-like value: what the tree becomes once positions are no longer needed. */
export type Plain = Scalar | Plain[] | { [key: string]: Plain };

export interface ScalarNode {
  kind: 'scalar';
  pos: SourcePos;
  value: Scalar;
}

export interface SeqNode {
  kind: 'seq';
  pos: SourcePos;
  items: TreeNode[];
}

export interface MapEntry {
  key: string;
  keyPos: SourcePos;
  value: TreeNode;
}

export interface MapNode {
  kind: 'map';
  pos: SourcePos;
  entries: MapEntry[];
}

export type TreeNode = ScalarNode | SeqNode | MapNode;

/**
 * The entry for `key` in a map node.
 *
 * @example
 * getEntry(root, 'build')?.value.kind // 'map'
 */
export function getEntry(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** The value of `key` when it is a map. */
export function getMap(map: MapNode, key: string): MapNode | undefined {
  const value = getEntry(map, key)?.value;
  return value?.kind === 'map' ? value : undefined;
}

/** The value of `key` when it is a string scalar. */
export function getString(map: MapNode, key: string): string | undefined {
  const value = getEntry(map, key)?.value;
  return value?.kind === 'scalar' && typeof value.value === 'string' ? value.value : undefined;
}

/** A copy of `map` without the given keys. */
export function withoutKeys(map: MapNode, ...keys: string[]): MapNode {
  return { ...map, entries: map.entries.filter((e) => !keys.includes(e.key)) };
}

/** A copy of `map` where `key` is set to `value` (added at the end when absent). */
export function withEntry(map: MapNode, key: string, value: TreeNode): MapNode {
  const index = map.entries.findIndex((e) => e.key === key);
  if (index < 0) return { ...map, entries: [...map.entries, { key, keyPos: value.pos, value }] };
  const entries = [...map.entries];
  const old = entries[index];
  if (old !== undefined) entries[index] = { key, keyPos: old.keyPos, value };
  return { ...map, entries };
}

/**
 * The tree as plain values, positions dropped.
 *
 * @example
 * toPlain(root) // { version: '1.0', name: 'my-app', … }
 */
export function toPlain(node: TreeNode): Plain {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: { [key: string]: Plain } = {};
  for (const entry of node.entries) out[entry.key] = toPlain(entry.value);
  return out;
}

/** How a node reads in a message: `a map`, `a list`, `the number 3`, `"text"`, `an empty value`. */
export function describeNode(node: TreeNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `the boolean ${v}`;
}
