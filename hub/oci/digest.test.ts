import { describe, expect, it } from 'vitest';
import { createDigester, digestOf, isDigest, parseDigest } from './digest.ts';
import { OciError } from './errors.ts';
import { thrownBy } from './thrown.ts';

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HELLO_SHA256 = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const HELLO_SHA512 =
  'sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043';

describe('parseDigest', () => {
  it('parses a sha256 digest', () => {
    const encoded = HELLO_SHA256.slice('sha256:'.length);
    expect(parseDigest(HELLO_SHA256)).toEqual({ algorithm: 'sha256', encoded, value: HELLO_SHA256 });
  });

  it('parses a sha512 digest', () => {
    const encoded = HELLO_SHA512.slice('sha512:'.length);
    expect(parseDigest(HELLO_SHA512)).toEqual({ algorithm: 'sha512', encoded, value: HELLO_SHA512 });
  });

  it('rejects uppercase hex, saying the digits must be lowercase', () => {
    const err = thrownBy(() => parseDigest(HELLO_SHA256.toUpperCase().replace('SHA256', 'sha256')), OciError);
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/64 lowercase hex digits/);
  });

  it.each([
    ['too short', `sha256:${'a'.repeat(63)}`, /64 lowercase hex/],
    ['too long', `sha256:${'a'.repeat(65)}`, /64 lowercase hex/],
    ['a sha256-length sha512', `sha512:${'a'.repeat(64)}`, /128 lowercase hex/],
    ['non-hex letters', `sha256:${'g'.repeat(64)}`, /64 lowercase hex/],
  ])('rejects a digest of the wrong length or alphabet (%s)', (_label, text, message) => {
    const err = thrownBy(() => parseDigest(text), OciError);
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.message).toMatch(message);
  });

  it.each([
    ['md5', `md5:${'d'.repeat(32)}`],
    ['sha384', `sha384:${'a'.repeat(96)}`],
    ['an unknown algorithm', `blake3:${'a'.repeat(64)}`],
    ['a multi-part algorithm', `sha256+b64u:${'a'.repeat(64)}`],
  ])('rejects %s as unsupported, naming the supported algorithms', (_label, text) => {
    const err = thrownBy(() => parseDigest(text), OciError);
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.message).toMatch(/not supported/);
    expect(err.message).toMatch(/sha256 or sha512/);
    expect(err.detail).toMatchObject({ supported: ['sha256', 'sha512'] });
  });

  it.each([
    ['missing colon', `sha256${'a'.repeat(64)}`],
    ['empty', ''],
    ['garbage', 'not a digest at all'],
    ['empty algorithm', `:${'a'.repeat(64)}`],
    ['empty encoded part', 'sha256:'],
    ['uppercase algorithm', `SHA256:${'a'.repeat(64)}`],
    ['two colons', `sha256:${'a'.repeat(32)}:${'a'.repeat(32)}`],
    ['surrounding whitespace', ` ${HELLO_SHA256} `],
  ])('rejects a malformed digest (%s) with an example of the expected form', (_label, text) => {
    const err = thrownBy(() => parseDigest(text), OciError);
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.message).toMatch(/is not a digest/);
    expect(err.message).toMatch(/sha256:<64 hex digits>/);
  });

  it('truncates very long input in the message', () => {
    const err = thrownBy(() => parseDigest(`x${'!'.repeat(500)}`), OciError);
    expect(err.message.length).toBeLessThan(250);
    expect(err.message).toContain('...');
  });
});

describe('isDigest', () => {
  it('is true for supported, well-formed digests', () => {
    expect(isDigest(HELLO_SHA256)).toBe(true);
    expect(isDigest(HELLO_SHA512)).toBe(true);
  });

  it('is false for anything parseDigest rejects', () => {
    expect(isDigest('')).toBe(false);
    expect(isDigest('latest')).toBe(false);
    expect(isDigest(`md5:${'d'.repeat(32)}`)).toBe(false);
    expect(isDigest(HELLO_SHA256.toUpperCase())).toBe(false);
    expect(isDigest(HELLO_SHA256.slice(0, -1))).toBe(false);
  });
});

describe('digestOf', () => {
  it('hashes the empty string with sha256 by default', () => {
    expect(digestOf('')).toBe(EMPTY_SHA256);
    expect(digestOf(new Uint8Array())).toBe(EMPTY_SHA256);
  });

  it('hashes "hello" with sha256, from a string or bytes', () => {
    expect(digestOf('hello')).toBe(HELLO_SHA256);
    expect(digestOf(new TextEncoder().encode('hello'))).toBe(HELLO_SHA256);
    expect(digestOf('hello', 'sha256')).toBe(HELLO_SHA256);
  });

  it('hashes "hello" with sha512', () => {
    expect(digestOf('hello', 'sha512')).toBe(HELLO_SHA512);
  });

  it('produces digests that parseDigest accepts', () => {
    expect(parseDigest(digestOf('abc')).algorithm).toBe('sha256');
    expect(parseDigest(digestOf('abc', 'sha512')).algorithm).toBe('sha512');
  });
});

describe('createDigester', () => {
  it('digests data fed in pieces the same as all at once (sha256 by default)', () => {
    const digester = createDigester();
    digester.hash.update('he');
    digester.hash.update(new TextEncoder().encode('ll'));
    digester.hash.update('o');
    expect(digester.digest()).toBe(HELLO_SHA256);
  });

  it('digests nothing as the empty-string digest', () => {
    expect(createDigester().digest()).toBe(EMPTY_SHA256);
  });

  it('supports sha512', () => {
    const digester = createDigester('sha512');
    digester.hash.update('hello');
    expect(digester.digest()).toBe(HELLO_SHA512);
  });

  it('gives independent digesters', () => {
    const a = createDigester();
    const b = createDigester();
    a.hash.update('hello');
    expect(b.digest()).toBe(EMPTY_SHA256);
    expect(a.digest()).toBe(HELLO_SHA256);
  });
});
