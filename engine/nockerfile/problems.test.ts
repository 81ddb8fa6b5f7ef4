import { describe, expect, it } from 'vitest';
import { formatProblem, NockerfileError, type Problem } from './problems.ts';

const p = (file: string, line: number, col: number, path = 'k'): Problem => ({ file, line, col, path, message: 'wrong', expected: 'right' });

describe('NockerfileError', () => {
  it('has one problem per line, in file order then position', () => {
    const err = new NockerfileError([p('a.yml', 3, 1), p('b.yml', 1, 1), p('a.yml', 1, 5), p('a.yml', 1, 2)]);
    expect(err.message.split('\n')).toEqual(['a.yml:1:2: k: wrong; expected right', 'a.yml:1:5: k: wrong; expected right', 'a.yml:3:1: k: wrong; expected right', 'b.yml:1:1: k: wrong; expected right']);
    expect(err.problems).toHaveLength(4);
    expect(err.name).toBe('NockerfileError');
  });

  it('formats a problem without an expectation', () => {
    expect(formatProblem({ file: 'f', line: 1, col: 2, path: 'x.y', message: 'bad' })).toBe('f:1:2: x.y: bad');
  });
});
