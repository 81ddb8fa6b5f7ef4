import { describe, expect, it } from 'vitest';
import { parseBaseImage, parseCopy, parseCpu, parseDependency, parsePort, parseSize } from './values.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parsePort', () => {
  it.each([
    [3000, { container: 3000, protocol: 'tcp' }],
    ['3000', { container: 3000, protocol: 'tcp' }],
    ['8080:3000', { host: 8080, container: 3000, protocol: 'tcp' }],
    ['53/udp', { container: 53, protocol: 'udp' }],
    ['5353:53/udp', { host: 5353, container: 53, protocol: 'udp' }],
    ['80/tcp', { container: 80, protocol: 'tcp' }],
  ])('reads %j', (text, expected) => {
    expect(parsePort(text)).toEqual({ ok: true, value: expected });
  });

  it.each(['', 'http', '1:2:3', '80/sctp', '0', '65536', '70000:80', true, null])('refuses %j', (text) => {
    expect(parsePort(text).ok).toBe(false);
  });
});

describe('parseSize', () => {
  it.each([
    ['2GB', 2_000_000_000],
    ['512MiB', 512 * 1024 * 1024],
    ['64MB', 64_000_000],
    ['1KiB', 1024],
    ['1.5KB', 1500],
    ['100B', 100],
    ['2 GiB', 2 * 1024 ** 3],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toEqual({ ok: true, value: bytes });
  });

  it.each(['2', '2gb', '2 G', 'GB', '0MB', '0.5B', '-1GB', 2048])('refuses %j', (text) => {
    expect(parseSize(text).ok).toBe(false);
  });
});

describe('parseCpu', () => {
  it('reads positive numbers and numeric strings', () => {
    expect(parseCpu(2)).toEqual({ ok: true, value: 2 });
    expect(parseCpu(0.5)).toEqual({ ok: true, value: 0.5 });
    expect(parseCpu('1.5')).toEqual({ ok: true, value: 1.5 });
  });

  it.each([0, -1, 'two', '', null, true])('refuses %j', (value) => {
    expect(parseCpu(value).ok).toBe(false);
  });
});

describe('parseBaseImage', () => {
  it('reads scratch, tags, digests and registries', () => {
    expect(parseBaseImage('scratch')).toEqual({ ok: true, value: { kind: 'scratch' } });
    expect(parseBaseImage('busybox:1.35')).toEqual({ ok: true, value: { kind: 'image', repository: 'busybox', tag: '1.35', reference: 'busybox:1.35' } });
    expect(parseBaseImage(`team/app@${DIGEST}`)).toEqual({ ok: true, value: { kind: 'image', repository: 'team/app', digest: DIGEST, reference: `team/app@${DIGEST}` } });
    expect(parseBaseImage('127.0.0.1:5000/team/app:v1')).toEqual({
      ok: true,
      value: { kind: 'image', registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', reference: '127.0.0.1:5000/team/app:v1' },
    });
    expect(parseBaseImage(`localhost/app:v1@${DIGEST}`)).toMatchObject({ ok: true, value: { registry: 'localhost', repository: 'app', tag: 'v1', digest: DIGEST } });
  });

  it.each(['busybox', '127.0.0.1:5000/app', 'Busybox:1', 'app:-bad', 'app@md5:abc', 'app@sha256:short', '', 12])('refuses %j', (text) => {
    expect(parseBaseImage(text).ok).toBe(false);
  });
});

describe('parseCopy', () => {
  it('reads <src> <dest>', () => {
    expect(parseCopy('. /app')).toEqual({ ok: true, value: { src: '.', dest: '/app' } });
    expect(parseCopy('  src/main.js   /app/main.js ')).toEqual({ ok: true, value: { src: 'src/main.js', dest: '/app/main.js' } });
  });

  it.each(['.', 'a b c', '/etc/passwd /x', '../up /x', 'a/../../b /x', ''])('refuses %j', (text) => {
    expect(parseCopy(text).ok).toBe(false);
  });
});

describe('parseDependency', () => {
  it.each([
    ['127.0.0.1:5000/libs/runtime:^1.2', { registry: '127.0.0.1:5000', repository: 'libs/runtime', version: { kind: 'range', range: '^1.2' } }],
    ['hub.example/libs/runtime:>=1.2 <2', { registry: 'hub.example', repository: 'libs/runtime', version: { kind: 'range', range: '>=1.2 <2' } }],
    ['libs/runtime:1.x', { repository: 'libs/runtime', version: { kind: 'range', range: '1.x' } }],
    ['libs/runtime:^1 || ^2', { repository: 'libs/runtime', version: { kind: 'range', range: '^1 || ^2' } }],
    ['localhost/libs/runtime:1.2.3', { registry: 'localhost', repository: 'libs/runtime', version: { kind: 'tag', tag: '1.2.3' } }],
    ['runtime:latest', { repository: 'runtime', version: { kind: 'tag', tag: 'latest' } }],
    [`hub.example/libs/runtime@${DIGEST}`, { registry: 'hub.example', repository: 'libs/runtime', version: { kind: 'digest', digest: DIGEST } }],
    [`libs/runtime:1.2@${DIGEST}`, { repository: 'libs/runtime', version: { kind: 'digest', digest: DIGEST } }],
  ])('reads %j', (text, expected) => {
    expect(parseDependency(text)).toEqual({ ok: true, value: { ...expected, reference: text } });
  });

  it.each([
    ['libs/runtime', 'has no version range, tag or digest'],
    ['libs/runtime:^one', 'invalid version range "^one"'],
    ['libs/runtime:!1', 'is neither a tag nor a version range'],
    ['libs/runtime@sha256:abc', 'a sha256 digest has 64 lowercase hex digits'],
    ['Libs/Runtime:^1', 'Libs/Runtime'],
    [7, 'is not an artifact reference'],
  ])('refuses %j', (text, message) => {
    const parsed = parseDependency(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });
});
