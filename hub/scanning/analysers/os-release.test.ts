import { describe, expect, it } from 'vitest';
import { isOsReleasePath, parseOsRelease, parseOsReleaseFields, readOsRelease } from './os-release.ts';

const BOOKWORM = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

describe('parseOsRelease', () => {
  it('reads a Debian os-release with double quotes', () => {
    expect(parseOsRelease(BOOKWORM)).toEqual({
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('reads an unquoted Alpine os-release', () => {
    expect(parseOsRelease('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n')).toEqual({
      id: 'alpine',
      versionId: '3.19.1',
      prettyName: 'Alpine Linux v3.19',
    });
  });

  it('defaults ID to linux', () => {
    expect(parseOsRelease('NAME=Something\n')).toEqual({ id: 'linux' });
  });

  it('is undefined for a file with no assignments', () => {
    expect(parseOsRelease('# nothing here\n\n')).toBeUndefined();
  });
});

describe('parseOsReleaseFields', () => {
  it('follows shell quoting and escapes, and skips comments', () => {
    const fields = parseOsReleaseFields(
      [
        '# a comment',
        `SINGLE='it is "literal" \\n'`,
        'DOUBLE="say \\"hi\\" for \\$5 \\\\ ok"',
        'BARE=a\\ b',
        `JOINED="a"'b'c`,
        'TRAILING=value # comment',
        '  INDENTED = not an assignment',
      ].join('\n'),
    );
    expect(Object.fromEntries(fields)).toEqual({
      SINGLE: 'it is "literal" \\n',
      DOUBLE: 'say "hi" for $5 \\ ok',
      BARE: 'a b',
      JOINED: 'abc',
      TRAILING: 'value',
    });
  });
});

describe('readOsRelease', () => {
  it('prefers etc/os-release', () => {
    const files = new Map([
      ['etc/os-release', Buffer.from('ID=alpine\n')],
      ['usr/lib/os-release', Buffer.from('ID=debian\n')],
    ]);
    expect(readOsRelease(files)?.id).toBe('alpine');
  });

  it('falls back to usr/lib/os-release when etc/os-release is missing or empty', () => {
    expect(readOsRelease(new Map([['usr/lib/os-release', Buffer.from(BOOKWORM)]]))?.versionId).toBe('12');
    expect(readOsRelease(new Map([['etc/os-release', Buffer.alloc(0)], ['usr/lib/os-release', Buffer.from(BOOKWORM)]]))?.id).toBe('debian');
  });

  it('is undefined without an os-release', () => {
    expect(readOsRelease(new Map())).toBeUndefined();
  });

  it('knows which paths to keep', () => {
    expect(isOsReleasePath('etc/os-release')).toBe(true);
    expect(isOsReleasePath('usr/lib/os-release')).toBe(true);
    expect(isOsReleasePath('etc/lsb-release')).toBe(false);
  });
});
