/** Test support: the error a function throws, checked to be of the expected class. */

/**
 * Runs `fn` and returns what it threw, failing when it threw nothing or something else.
 *
 * @example
 * expect(thrownBy(() => parseDigest('md5:00'), OciError).code).toBe('DIGEST_INVALID');
 */
export function thrownBy<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw new Error(`expected a ${type.name}, got ${String(err)}`);
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}
