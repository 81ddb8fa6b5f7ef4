/**
 * Reads Nockerfile YAML into a position-keeping tree. YAML syntax errors become problems with
 * their file, line and column, like every other problem.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { Problem, SourcePos } from './problems.ts';
import type { MapEntry, Scalar, TreeNode } from './tree.ts';

/** The tree of a YAML text, or the problems that kept it from being read. */
export interface ParseResult {
  /** Absent when the text has syntax errors. */
  root?: TreeNode;
  problems: Problem[];
}

/** Aliases may nest; past this depth an alias is taken to be circular. */
const MAX_DEPTH = 64;

/**
 * Parses YAML text; `file` is the name that problems and positions carry.
 *
 * @example
 * const { root, problems } = parseNockerfileText('version: "1.0"\n', 'Nockerfile.yml');
 * root?.kind // 'map'
 */
export function parseNockerfileText(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePos => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ ...at(e.pos[0]), path: '(syntax)', message: firstLine(e.message), expected: 'valid YAML' }));
    return { problems };
  }
  if (doc.contents === null) return { root: { kind: 'scalar', pos: at(0), value: null }, problems: [] };
  return { root: convert(doc.contents, doc, at, 0), problems: [] };
}

/**
 * Reads and parses a file; `display` is the name problems carry (the path as the user gave it).
 *
 * @example
 * const { root } = await parseNockerfileFile('/src/app/Nockerfile.yml', 'Nockerfile.yml');
 */
export async function parseNockerfileFile(path: string, display: string): Promise<ParseResult> {
  return parseNockerfileText(await readFile(path, 'utf8'), display);
}

function convert(node: unknown, doc: Document, at: (offset: number | undefined) => SourcePos, depth: number): TreeNode {
  if (depth > MAX_DEPTH) return { kind: 'scalar', pos: at(0), value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const converted = convert(target, doc, at, depth + 1);
    return { ...converted, pos: at(node.range?.[0]) };
  }
  if (isMap(node)) {
    const entries: MapEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const keyPos = at(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
      const value: TreeNode = pair.value === null || pair.value === undefined ? { kind: 'scalar', pos: keyPos, value: null } : convert(pair.value, doc, at, depth + 1);
      entries.push({ key, keyPos, value });
    }
    return { kind: 'map', pos: at(node.range?.[0]), entries };
  }
  if (isSeq(node)) {
    return { kind: 'seq', pos: at(node.range?.[0]), items: node.items.map((item) => convert(item, doc, at, depth + 1)) };
  }
  if (isScalar(node)) return { kind: 'scalar', pos: at(node.range?.[0]), value: scalarValue(node.value) };
  return { kind: 'scalar', pos: at(0), value: null };
}

function scalarValue(value: unknown): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
