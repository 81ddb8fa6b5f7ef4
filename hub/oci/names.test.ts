import { describe, expect, it } from 'vitest';
import { OciError } from './errors.ts';
import { MAX_NAME_LENGTH, isTag, parseManifestReference, validateRepositoryName } from './names.ts';
import { thrownBy } from './thrown.ts';

const DIGEST = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

/** A valid name of exactly `length` characters, made of several path components. */
function nameOfLength(length: number): string {
  const component = 'abcdefghi'; // 9 characters, plus "/" makes 10
  let name = '';
  while (name.length + component.length + 1 <= length) name += `${component}/`;
  name += 'z'.repeat(length - name.length);
  return name;
}

describe('validateRepositoryName', () => {
  it.each(['a', 'library/ubuntu', 'a.b_c__d-e--f/g0', 'a/b/c/d', '0', 'a---b', 'nocker/hub.v2'])('accepts %j', (name) => {
    expect(validateRepositoryName(name)).toBe(name);
  });

  it('accepts a name of exactly 255 characters', () => {
    const single = 'a'.repeat(MAX_NAME_LENGTH);
    const nested = nameOfLength(MAX_NAME_LENGTH);
    expect(MAX_NAME_LENGTH).toBe(255);
    expect(nested).toHaveLength(255);
    expect(validateRepositoryName(single)).toBe(single);
    expect(validateRepositoryName(nested)).toBe(nested);
  });

  it.each([
    ['uppercase', 'Library/ubuntu'],
    ['a lone ".."', '..'],
    ['an empty component', 'a//b'],
    ['a leading "/"', '/a'],
    ['a trailing "/"', 'a/'],
    ['a ".." component', 'a/../b'],
    ['a trailing separator', 'a_'],
    ['a leading dash', '-a'],
    ['a leading dot', '.a'],
    ['three underscores', 'a___b'],
    ['a mixed separator', 'a._b'],
    ['a space', 'a b'],
    ['a colon', 'a:b'],
    ['empty', ''],
  ])('rejects %s (%j) with NAME_INVALID', (_label, name) => {
    const err = thrownBy(() => validateRepositoryName(name), OciError);
    expect(err.code).toBe('NAME_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/not a valid repository name/);
  });

  it('rejects a name of 256 characters, stating the limit', () => {
    const err = thrownBy(() => validateRepositoryName(nameOfLength(256)), OciError);
    expect(err.code).toBe('NAME_INVALID');
    expect(err.message).toMatch(/256 characters long; the limit is 255/);
    expect(thrownBy(() => validateRepositoryName('a'.repeat(256)), OciError).code).toBe('NAME_INVALID');
  });
});

describe('isTag', () => {
  it.each(['latest', 'v1.2.3', '_private', '1', 'A-b_C.d', 'a'.repeat(128)])('accepts %j', (tag) => {
    expect(isTag(tag)).toBe(true);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['a leading "."', '.hidden'],
    ['a leading "-"', '-rc1'],
    ['empty', ''],
    ['a colon', 'a:b'],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['"@"', 'a@b'],
  ])('rejects %s', (_label, tag) => {
    expect(isTag(tag)).toBe(false);
  });
});

describe('parseManifestReference', () => {
  it('reads a tag', () => {
    expect(parseManifestReference('latest')).toEqual({ kind: 'tag', tag: 'latest' });
  });

  it('reads a digest', () => {
    const ref = parseManifestReference(DIGEST);
    expect(ref.kind).toBe('digest');
    if (ref.kind !== 'digest') throw new Error('unreachable');
    expect(ref.digest).toEqual({ algorithm: 'sha256', encoded: DIGEST.slice(7), value: DIGEST });
  });

  it('rejects an invalid tag with TAG_INVALID', () => {
    for (const reference of ['-bad', '.bad', 'a'.repeat(129), '', 'a/b']) {
      const err = thrownBy(() => parseManifestReference(reference), OciError);
      expect(err.code).toBe('TAG_INVALID');
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/not a valid tag/);
    }
  });

  it('treats anything with a colon as a digest, so an invalid one is DIGEST_INVALID', () => {
    for (const reference of ['sha256:abc', `md5:${'d'.repeat(32)}`, 'v1:2', DIGEST.toUpperCase()]) {
      const err = thrownBy(() => parseManifestReference(reference), OciError);
      expect(err.code).toBe('DIGEST_INVALID');
    }
  });
});
