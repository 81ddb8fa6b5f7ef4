/**
 * Alpine package version ordering, as apk-tools (`apk version -t`) does it. The grammar is
 * `digits{.digits}[letter]{_suffix[number]}[~hash][-rN]`, read as a sequence of typed tokens.
 */
import { InvalidVersionError } from './errors.ts';
import { compareCodeUnits, compareDigitStrings } from './numeric.ts';

/**
 * Token kinds, in apk's order. When two versions agree up to a point where one continues with
 * a token of a different kind, the one whose token kind is *earlier* in this list is the
 * greater (1.2.1 > 1.2a > 1.2), except that a pre-release suffix makes it the lesser.
 */
const TokenKind = {
  InitialDigits: 0,
  Digits: 1,
  Letter: 2,
  Suffix: 3,
  SuffixNumber: 4,
  CommitHash: 5,
  Revision: 6,
  End: 7,
} as const;
type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** Suffixes in ascending order; those before the release (`_alpha` … `_rc`) rank below 0. */
const SUFFIX_RANK: ReadonlyMap<string, number> = new Map([
  ['alpha', -4],
  ['beta', -3],
  ['pre', -2],
  ['rc', -1],
  ['cvs', 1],
  ['svn', 2],
  ['git', 3],
  ['hg', 4],
  ['p', 5],
]);

interface Token {
  kind: TokenKind;
  text: string;
}

const ECOSYSTEM = 'Alpine';

/**
 * Orders two Alpine package versions as apk does.
 *
 * The package revision `-rN` is the last token, so it only breaks ties: `1.2.3 < 1.2.3-r0 <
 * 1.2.3-r1 < 1.2.3_p1`. Where apk's token rules reject a version (apk refuses such versions
 * in packages and indexes), this throws rather than guess.
 *
 * @returns a negative number when `a` sorts before `b`, 0 when they are equal, positive otherwise.
 * @throws {InvalidVersionError} for a version outside apk's grammar.
 * @example
 * compareApk('1.2.3_rc1', '1.2.3') < 0;   // true: _rc is a pre-release
 * compareApk('1.2.3_p1', '1.2.3-r9') > 0; // true: the suffix outranks the package revision
 * compareApk('1.01', '1.1') < 0;          // true: a leading zero compares as text
 */
export function compareApk(a: string, b: string): number {
  const left = tokenizeApkVersion(a);
  const right = tokenizeApkVersion(b);
  for (let index = 0; ; index++) {
    // Both lists end with an End token, so indexes stay in range until a kind differs.
    const x = left[index] as Token;
    const y = right[index] as Token;
    if (x.kind !== y.kind) return compareDivergingKinds(x, y);
    if (x.kind === TokenKind.End) return 0;
    const order = compareSameKind(x, y);
    if (order !== 0) return order;
  }
}

/**
 * Splits an Alpine version into apk's tokens, ending with an End token: '1.2a_rc1-r0' gives
 * the texts '1', '2', 'a', 'rc', '1', '0', ''.
 */
function tokenizeApkVersion(version: string): Token[] {
  const fail = (reason: string): never => {
    throw new InvalidVersionError(version, ECOSYSTEM, reason);
  };
  const tokens: Token[] = [];
  let position = 0;
  const take = (pattern: RegExp): string => {
    const match = pattern.exec(version.slice(position));
    const text = match?.[0] ?? '';
    position += text.length;
    return text;
  };

  const first = take(/^\d+/);
  if (first === '') fail('it must start with a digit');
  tokens.push({ kind: TokenKind.InitialDigits, text: first });

  while (position < version.length) {
    const previous = (tokens[tokens.length - 1] as Token).kind;
    const character = version[position] as string;
    if (character >= 'a' && character <= 'z') {
      if (previous > TokenKind.Digits) fail(`unexpected letter '${character}'`);
      tokens.push({ kind: TokenKind.Letter, text: character });
      position++;
    } else if (character === '.') {
      if (previous > TokenKind.Digits) fail("unexpected '.' after a letter or suffix");
      position++;
      const digits = take(/^\d+/);
      if (digits === '') fail("'.' must be followed by digits");
      tokens.push({ kind: TokenKind.Digits, text: digits });
    } else if (character >= '0' && character <= '9') {
      // Digits run on from a number greedily, so a digit here can only number a suffix.
      if (previous !== TokenKind.Suffix) fail('unexpected digit');
      tokens.push({ kind: TokenKind.SuffixNumber, text: take(/^\d+/) });
    } else if (character === '_') {
      if (previous > TokenKind.SuffixNumber) fail("unexpected '_' after a hash or revision");
      position++;
      const suffix = take(/^[a-z]+/);
      if (!SUFFIX_RANK.has(suffix)) fail(`unknown suffix '_${suffix}'`);
      tokens.push({ kind: TokenKind.Suffix, text: suffix });
    } else if (character === '~') {
      if (previous >= TokenKind.CommitHash) fail("unexpected '~'");
      position++;
      const hash = take(/^[0-9a-f]+/);
      if (hash === '') fail("'~' must be followed by a hexadecimal commit hash");
      tokens.push({ kind: TokenKind.CommitHash, text: hash });
    } else if (character === '-') {
      if (previous >= TokenKind.Revision) fail("unexpected '-'");
      if (version[position + 1] !== 'r') fail("a '-' must start a package revision '-rN'");
      position += 2;
      const revision = take(/^\d+/);
      if (revision === '') fail("'-r' must be followed by digits");
      tokens.push({ kind: TokenKind.Revision, text: revision });
    } else {
      fail(`unexpected character '${character}'`);
    }
  }
  tokens.push({ kind: TokenKind.End, text: '' });
  return tokens;
}

/** Two tokens of the same kind. */
function compareSameKind(x: Token, y: Token): number {
  switch (x.kind) {
    case TokenKind.Digits:
      // apk, like Gentoo, reads a component with a leading zero as a decimal fraction: as text.
      if (x.text.startsWith('0') || y.text.startsWith('0')) return compareCodeUnits(x.text, y.text);
      return compareDigitStrings(x.text, y.text);
    case TokenKind.InitialDigits:
    case TokenKind.SuffixNumber:
    case TokenKind.Revision:
      return compareDigitStrings(x.text, y.text);
    case TokenKind.Suffix:
      return Math.sign((SUFFIX_RANK.get(x.text) ?? 0) - (SUFFIX_RANK.get(y.text) ?? 0));
    default:
      return compareCodeUnits(x.text, y.text);
  }
}

/** Versions equal so far, continuing with tokens of different kinds. */
function compareDivergingKinds(x: Token, y: Token): number {
  if (isPreReleaseSuffix(x)) return -1;
  if (isPreReleaseSuffix(y)) return 1;
  return x.kind > y.kind ? -1 : 1;
}

function isPreReleaseSuffix(token: Token): boolean {
  return token.kind === TokenKind.Suffix && (SUFFIX_RANK.get(token.text) ?? 0) < 0;
}
