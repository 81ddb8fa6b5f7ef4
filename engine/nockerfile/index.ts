/**
 * The Nockerfile front end: read `Nockerfile.yml`, check everything (reporting every problem with
 * its file, line and column), apply one environment and its `Nockerfile.<env>.yml`, substitute
 * variables, and hand back a typed Nockerfile.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applyEnvironment, overlayPath } from './environments.ts';
import { parseNockerfileFile } from './parse.ts';
import { throwIfAny, type Problem } from './problems.ts';
import { ENVIRONMENT_NAME, nockerfileSchema, overlayFileSchema, type MapSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';
import { getString, toPlain, type MapNode, type Plain, type TreeNode } from './tree.ts';
import type { Nockerfile } from './types.ts';
import { environmentNames, validateEnvironmentReferences, validateTree } from './validate.ts';
import { substituteVariables, type Env } from './variables.ts';
import { normalize } from './normalize.ts';

export { NockerfileError, formatProblem, type Problem, type SourcePos } from './problems.ts';
export type * from './types.ts';
export type { Plain } from './tree.ts';

/** The file read when none is given. */
export const DEFAULT_NOCKERFILE = 'Nockerfile.yml';

export interface LoadOptions {
  /** The Nockerfile, relative to `cwd`; default `Nockerfile.yml`. Problems name it as given. */
  file?: string;
  /** The environment to apply; default the file's `environment:`, else `production`. */
  env?: string;
  /** Where `${VAR}` looks after the file's `variables:`; default `process.env`. */
  processEnv?: Env;
  /** Default `process.cwd()`. */
  cwd?: string;
}

/** A resolved Nockerfile: typed, and as a plain document in Nockerfile syntax (for printing). */
export interface ResolvedNockerfile {
  nockerfile: Nockerfile;
  /** The effective file: environment applied and variables substituted, `environments:` gone. */
  document: Plain;
}

/**
 * Loads and resolves a Nockerfile; throws a NockerfileError listing every problem.
 *
 * @example
 * const nf = await loadNockerfile({ file: 'Nockerfile.yml', env: 'development', processEnv: process.env });
 * nf.build.base // { kind: 'image', repository: 'busybox', tag: '1.35', … }
 */
export async function loadNockerfile(options: LoadOptions = {}): Promise<Nockerfile> {
  return (await resolveNockerfile(options)).nockerfile;
}

/**
 * As loadNockerfile, also returning the effective file as a plain document.
 *
 * @example
 * const { document } = await resolveNockerfile({ env: 'embedded' });
 * process.stdout.write(stringify(document));
 */
export async function resolveNockerfile(options: LoadOptions = {}): Promise<ResolvedNockerfile> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? DEFAULT_NOCKERFILE;
  const source = resolve(cwd, file);

  // Problems of the file and of its environment's overlay file are reported together.
  const read = await readTree(source, file, nockerfileSchema);
  const problems = [...read.problems];
  if (read.root !== undefined) problems.push(...validateEnvironmentReferences(read.root));
  const fileRoot = read.root?.kind === 'map' ? read.root : undefined;

  const env = options.env ?? (fileRoot === undefined ? undefined : getString(fileRoot, 'environment')) ?? 'production';
  if (fileRoot !== undefined) {
    const known = environmentNames(fileRoot);
    if (!known.includes(env) && options.env !== undefined) {
      const { line, col } = fileRoot.pos;
      problems.push({ file, line, col, path: 'environments', message: `no environment "${env}"${didYouMean(env, known)}`, expected: `one of ${known.join(', ')}` });
    }
  }

  const sources = [source];
  const overlaySource = overlayPath(source, env);
  const overlayFile = overlayPath(file, env);
  let overlayRoot: TreeNode | undefined;
  if (ENVIRONMENT_NAME.pattern.test(env) && (await exists(overlaySource))) {
    const overlayRead = await readTree(overlaySource, overlayFile, overlayFileSchema);
    problems.push(...overlayRead.problems);
    overlayRoot = overlayRead.root;
    sources.push(overlaySource);
  }
  throwIfAny(problems);
  const root = mapOf(read.root, file);
  const overlay = overlayRoot === undefined ? undefined : mapOf(overlayRoot, overlayFile);

  const substituted = substituteVariables(applyEnvironment(root, env, overlay), options.processEnv ?? process.env);
  throwIfAny(substituted.problems);
  throwIfAny(validateTree(substituted.root, nockerfileSchema));
  return { nockerfile: normalize(substituted.root, { source, sources }), document: toPlain(substituted.root) };
}

/** Reads, parses and checks one file against `schema`, leaving `${…}` values for later. */
async function readTree(path: string, display: string, schema: MapSchema): Promise<{ root?: TreeNode; problems: Problem[] }> {
  let parsed: Awaited<ReturnType<typeof parseNockerfileFile>>;
  try {
    parsed = await parseNockerfileFile(path, display);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${display}: no such file` : `${display}: ${(err as Error).message}`);
  }
  if (parsed.root === undefined) return { problems: parsed.problems };
  return { root: parsed.root, problems: [...parsed.problems, ...validateTree(parsed.root, schema, { deferReferences: true })] };
}

/** The root of a file that passed validation, which is always a map. */
function mapOf(root: TreeNode | undefined, display: string): MapNode {
  if (root?.kind !== 'map') throw new Error(`internal: ${display} passed validation but is not a map`);
  return root;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
