/**
 * What is wrong with a Nockerfile, and where: every problem names its file, line, column and key
 * path, so that all of them can be reported together in one error.
 */

/** A place in a source file; line and column count from 1. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One thing wrong with a Nockerfile. */
export interface Problem extends SourcePos {
  /** The key path, such as `build.steps[1].copy`; `(syntax)` for YAML syntax errors. */
  path: string;
  /** What is wrong. */
  message: string;
  /** What would have been right, when that can be said. */
  expected?: string;
}

/**
 * One problem as a line: `file:line:col: path: message; expected …`.
 *
 * @example
 * formatProblem({ file: 'Nockerfile.yml', line: 3, col: 7, path: 'name', message: 'missing', expected: 'a string' })
 * // 'Nockerfile.yml:3:7: name: missing; expected a string'
 */
export function formatProblem(problem: Problem): string {
  const expected = problem.expected === undefined ? '' : `; expected ${problem.expected}`;
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.path}: ${problem.message}${expected}`;
}

/** Problems in reading order: by file (in order of first appearance), line, then column. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const fileOrder = new Map<string, number>();
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  return [...problems].sort((a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || a.line - b.line || a.col - b.col);
}

/**
 * Everything wrong with a Nockerfile, as one error: its message is one problem per line.
 *
 * @example
 * try {
 *   await loadNockerfile({ file: 'Nockerfile.yml' });
 * } catch (err) {
 *   if (err instanceof NockerfileError) for (const p of err.problems) console.error(formatProblem(p));
 * }
 */
export class NockerfileError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const sorted = sortProblems(problems);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'NockerfileError';
    this.problems = sorted;
  }
}

/** Throws a NockerfileError when there is any problem. */
export function throwIfAny(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new NockerfileError(problems);
}
