/**
 * The one error every comparator throws for a version it cannot read, so callers can tell a
 * bad version in an advisory or a package database apart from a bug.
 */

/**
 * A version string that an ecosystem's ordering cannot read. The message names both the
 * version and the ecosystem, as it is meant to reach a log or an operator unchanged.
 *
 * @example
 * throw new InvalidVersionError('1:', 'Debian', 'nothing after colon in version number');
 * // Error: invalid Debian version '1:': nothing after colon in version number
 */
export class InvalidVersionError extends Error {
  override readonly name = 'InvalidVersionError';

  constructor(
    readonly version: string,
    readonly ecosystem: string,
    readonly reason: string,
  ) {
    super(`invalid ${ecosystem} version '${version}': ${reason}`);
  }
}
