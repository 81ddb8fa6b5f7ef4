/**
 * Reads `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"`, as
 * registries send them, or `Basic realm="…"`.
 */

/** One challenge: its scheme in lower case and its parameters (names in lower case). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

// A token (RFC 7230 tchar) or a quoted string with backslash escapes.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAM = new RegExp(`^\\s*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*(,|$)`);
const SCHEME = new RegExp(`^\\s*,*\\s*(${TOKEN})(?:\\s+|$)`);

/**
 * Parses a `WWW-Authenticate` header value into its challenges, in order. Unparseable tails are
 * dropped rather than guessed at.
 *
 * @example
 * parseChallenges('Bearer realm="http://h/token",service="h"');
 * // [{ scheme: 'bearer', params: { realm: 'http://h/token', service: 'h' } }]
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = header ?? '';
  for (;;) {
    const scheme = SCHEME.exec(rest);
    if (!scheme?.[1]) break;
    rest = rest.slice(scheme[0].length);
    const challenge: Challenge = { scheme: scheme[1].toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      const param = PARAM.exec(rest);
      if (!param?.[1]) break;
      challenge.params[param[1].toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
      rest = rest.slice(param[0].length);
    }
  }
  return challenges;
}

/** The first challenge of `scheme` (case-insensitive) in the header, if any. */
export function findChallenge(header: string | null | undefined, scheme: 'bearer' | 'basic'): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === scheme);
}
