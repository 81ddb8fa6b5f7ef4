/**
 * Checks a Nockerfile tree against the schema and the rules between its parts (the default
 * environment exists, `extends` names an environment, no `extends` cycles), collecting every
 * problem rather than stopping at the first.
 */
import type { Problem, SourcePos } from './problems.ts';
import { BUILT_IN_ENVIRONMENTS, type FieldSchema, type MapSchema, type Schema, type ScalarSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';
import { describeNode, getEntry, getMap, type MapNode, type TreeNode } from './tree.ts';
import { hasReference } from './variables.ts';

/** How strictly to check. */
export interface ValidateOptions {
  /**
   * Skip the value checks (enumerations, ports, sizes…) of strings that still hold `${…}`
   * references: they are checked again after substitution.
   */
  deferReferences?: boolean;
}

/**
 * Every problem of `root` against `schema`, positions taken from the tree.
 *
 * @example
 * const { root } = parseNockerfileText(text, 'Nockerfile.yml');
 * const problems = validateTree(root, nockerfileSchema);
 */
export function validateTree(root: TreeNode, schema: Schema, options: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  check(root, schema, '', root.pos, { problems, options });
  return problems;
}

interface Context {
  problems: Problem[];
  options: ValidateOptions;
}

function report(ctx: Context, pos: SourcePos, path: string, message: string, expected?: string): void {
  const problem: Problem = { ...pos, path: path === '' ? '(document)' : path, message };
  if (expected !== undefined) problem.expected = expected;
  ctx.problems.push(problem);
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** `at` is where the node's key is (for "missing key" problems); the node's own position otherwise. */
function check(node: TreeNode, schema: Schema, path: string, at: SourcePos, ctx: Context): void {
  switch (schema.type) {
    case 'scalar':
      return checkScalar(node, schema, path, ctx);
    case 'list':
      if (node.kind !== 'seq') return report(ctx, node.pos, path, `got ${describeNode(node)}`, schema.expected);
      if (schema.nonEmpty && node.items.length === 0) return report(ctx, node.pos, path, 'the list is empty', schema.expected);
      node.items.forEach((item, i) => check(item, schema.items, `${path}[${i}]`, item.pos, ctx));
      return;
    case 'record':
      if (node.kind !== 'map') return report(ctx, node.pos, path, `got ${describeNode(node)}`, schema.expected);
      for (const entry of node.entries) {
        const entryPath = join(path, entry.key);
        if (schema.keyPattern && !schema.keyPattern.pattern.test(entry.key)) {
          report(ctx, entry.keyPos, entryPath, `"${entry.key}" is not a valid name`, schema.keyPattern.expected);
        }
        check(entry.value, schema.values, entryPath, entry.keyPos, ctx);
      }
      return;
    case 'map':
      return checkMap(node, schema, path, at, ctx);
    case 'either': {
      const kind = node.kind === 'scalar' ? 'scalar' : node.kind === 'seq' ? 'list' : 'map';
      const option = schema.options.find((o) => (kind === 'map' ? o.type === 'map' || o.type === 'record' : o.type === kind));
      if (option === undefined || (node.kind === 'scalar' && node.value === null)) {
        return report(ctx, node.pos, path, `got ${describeNode(node)}`, schema.expected);
      }
      return check(node, option, path, at, ctx);
    }
  }
}

function checkMap(node: TreeNode, schema: MapSchema, path: string, at: SourcePos, ctx: Context): void {
  if (node.kind !== 'map') return report(ctx, node.pos, path, `got ${describeNode(node)}`, schema.expected);
  const known = Object.keys(schema.fields);
  for (const entry of node.entries) {
    const entryPath = join(path, entry.key);
    const field: FieldSchema | undefined = schema.fields[entry.key];
    if (field === undefined) {
      report(ctx, entry.keyPos, entryPath, `unknown key "${entry.key}"${didYouMean(entry.key, known)}`, `one of ${known.join(', ')}`);
      continue;
    }
    check(entry.value, field.schema, entryPath, entry.keyPos, ctx);
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    if (field.required && getEntry(node, key) === undefined) {
      report(ctx, at, join(path, key), `missing required key "${key}"`, field.schema.expected);
    }
  }
  if (schema.exactlyOne) {
    const present = schema.exactlyOne.filter((key) => getEntry(node, key) !== undefined);
    if (present.length !== 1) {
      const message = present.length === 0 ? `has none of ${schema.exactlyOne.join(', ')}` : `has ${present.join(' and ')} together`;
      report(ctx, node.pos, path, message, `exactly one of ${schema.exactlyOne.join(', ')}`);
    }
  }
}

function checkScalar(node: TreeNode, schema: ScalarSchema, path: string, ctx: Context): void {
  if (node.kind !== 'scalar' || node.value === null) return report(ctx, node.pos, path, `got ${describeNode(node)}`, schema.expected);
  const value = node.value;
  const type = typeof value;
  if (!(schema.accepts as readonly string[]).includes(type)) {
    const hint = type !== 'string' && schema.accepts.includes('string') ? ' (quote it to make it a string)' : '';
    return report(ctx, node.pos, path, `got ${describeNode(node)}${hint}`, schema.expected);
  }
  if (ctx.options.deferReferences && typeof value === 'string' && hasReference(value)) return;
  if (schema.enum && !schema.enum.includes(String(value))) {
    return report(ctx, node.pos, path, `"${String(value)}" is not allowed${didYouMean(String(value), schema.enum)}`, schema.expected);
  }
  if (schema.check) {
    const parsed = schema.check(value);
    if (!parsed.ok) report(ctx, node.pos, path, parsed.message, parsed.expected);
  }
}

/**
 * The rules between parts of a whole Nockerfile: `environment` and every `extends` name an
 * environment (built-in or under `environments:`), and `extends` never loops.
 *
 * @example
 * validateEnvironmentReferences(root) // [] when every name resolves
 */
export function validateEnvironmentReferences(root: TreeNode): Problem[] {
  if (root.kind !== 'map') return [];
  const problems: Problem[] = [];
  const ctx: Context = { problems, options: {} };
  const environments = getMap(root, 'environments');
  const known = environmentNames(root);
  const expected = `one of ${known.join(', ')}`;

  const chosen = getEntry(root, 'environment')?.value;
  if (chosen?.kind === 'scalar' && typeof chosen.value === 'string' && !known.includes(chosen.value)) {
    report(ctx, chosen.pos, 'environment', `no environment "${chosen.value}"${didYouMean(chosen.value, known)}`, expected);
  }
  if (environments === undefined) return problems;

  const parentOf = new Map<string, { name: string; pos: SourcePos }>();
  for (const entry of environments.entries) {
    if (entry.value.kind !== 'map') continue;
    const ext = getEntry(entry.value, 'extends')?.value;
    if (ext?.kind !== 'scalar' || typeof ext.value !== 'string') continue;
    const path = `environments.${entry.key}.extends`;
    if (!known.includes(ext.value)) {
      report(ctx, ext.pos, path, `no environment "${ext.value}"${didYouMean(ext.value, known)}`, expected);
    } else {
      parentOf.set(entry.key, { name: ext.value, pos: ext.pos });
    }
  }
  // A cycle is reported once, at the `extends` of its member that comes first in the file.
  const order = environments.entries.map((e) => e.key);
  for (const start of order) {
    const seen = [start];
    let current = parentOf.get(start);
    while (current !== undefined && !seen.includes(current.name)) {
      seen.push(current.name);
      current = parentOf.get(current.name);
    }
    if (current === undefined || current.name !== start) continue;
    const first = seen.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
    const parent = parentOf.get(start);
    if (first !== start || parent === undefined) continue;
    report(ctx, parent.pos, `environments.${start}.extends`, `extends cycle: ${[...seen, start].join(' → ')}`, 'a chain of environments that ends');
  }
  return problems;
}

/**
 * The environments a Nockerfile has: the built-in ones, then those under `environments:`.
 *
 * @example
 * environmentNames(root) // ['production', 'development', 'embedded', 'testing', 'staging']
 */
export function environmentNames(root: MapNode): string[] {
  const defined = getMap(root, 'environments')?.entries.map((e) => e.key) ?? [];
  return [...new Set<string>([...BUILT_IN_ENVIRONMENTS, ...defined])];
}
