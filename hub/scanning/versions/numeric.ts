/**
 * Comparison of digit strings of any length, shared by the orderings that compare numbers
 * which may not fit a double (dates, commit counts, long build numbers).
 */

/**
 * Compares two strings of ASCII digits as unbounded non-negative integers; leading zeros
 * do not count.
 *
 * @returns -1, 0 or 1.
 * @example
 * compareDigitStrings('007', '7');                    // 0
 * compareDigitStrings('99999999999999999999', '100000000000000000000'); // -1
 * compareDigitStrings('20240101', '9');               // 1
 */
export function compareDigitStrings(a: string, b: string): number {
  const left = a.replace(/^0+/, '');
  const right = b.replace(/^0+/, '');
  if (left.length !== right.length) return left.length < right.length ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Compares two strings by UTF-16 code units, as C's `strcmp` would for ASCII.
 *
 * @returns -1, 0 or 1.
 * @example
 * compareCodeUnits('alpha', 'beta'); // -1
 * compareCodeUnits('Z', 'a');        // -1
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
