/** "Did you mean …?": the closest known word to a misspelt one. */

/**
 * The edit distance between two strings: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each count one (optimal string alignment).
 *
 * @example
 * editDistance('enviroment', 'environment') // 1
 * editDistance('prots', 'ports') // 1
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo (at most a third
 * of the word's letters wrong, at least one allowed; case is ignored). Words without letters
 * (`2.0`, `80`) get no suggestion: a near number is rarely the one meant. Failing a close
 * one, a candidate that the word begins (`prod` → `production`) is suggested.
 *
 * @example
 * closest('comand', ['command', 'entrypoint']) // 'command'
 * closest('prod', ['production']) // 'production'
 * closest('xyz', ['command']) // undefined
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (!/\p{L}/u.test(word)) return undefined;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A short form of a longer name (`prod` for `production`) is a likely slip too.
  return best ?? (word.length >= 3 ? candidates.find((c) => c.toLowerCase().startsWith(word.toLowerCase())) : undefined);
}

/**
 * ` (did you mean "x"?)` when a candidate is close, else the empty string.
 *
 * @example
 * `unknown key "nmae"${didYouMean('nmae', ['name'])}` // 'unknown key "nmae" (did you mean "name"?)'
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
