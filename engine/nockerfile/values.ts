/**
 * The grammars of Nockerfile values — ports, sizes, CPU counts, image references, copy steps —
 * each read by one function that either returns the value or says what is wrong. Validation
 * uses them to find problems and normalisation to build the typed Nockerfile, so each grammar
 * lives in one place.
 */
import { parseDigest } from '../../hub/oci/digest.ts';
import { isTag, validateRepositoryName } from '../../hub/oci/names.ts';
import { InvalidRangeError, isRangeLike, parseRange } from '../../hub/deps/semver-range.ts';
import type { Scalar } from './tree.ts';

/** A value read, or what is wrong with it and what was expected instead. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string, expected: string): Parsed<T> => ({ ok: false, message, expected });

/** A published port: `container` inside, `host` outside (absent: the same as inside). */
export interface PortMapping {
  host?: number;
  container: number;
  protocol: 'tcp' | 'udp';
}

const PORT_EXPECTED = '"PORT" or "HOST:CONTAINER", ports 1-65535, optionally ending in /tcp or /udp';

/**
 * Reads a port mapping: `3000`, `"8080:3000"`, `"53/udp"`, `"5353:53/udp"`.
 *
 * @example
 * parsePort('8080:3000') // { ok: true, value: { host: 8080, container: 3000, protocol: 'tcp' } }
 */
export function parsePort(value: Scalar): Parsed<PortMapping> {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return bad(`a port cannot be ${String(value)}`, PORT_EXPECTED);
  const match = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text.trim());
  if (!match) return bad(`"${text}" is not a port mapping`, PORT_EXPECTED);
  const host = match[1] === undefined ? undefined : Number(match[1]);
  const container = Number(match[2]);
  for (const port of [host, container]) {
    if (port !== undefined && (port < 1 || port > 65535)) return bad(`port ${port} is out of range`, PORT_EXPECTED);
  }
  const protocol = match[3] === 'udp' ? 'udp' : 'tcp';
  return ok(host === undefined ? { container, protocol } : { host, container, protocol });
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};
const SIZE_EXPECTED = 'a size such as 512MiB or 2GB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)';

/**
 * Reads a size into bytes. KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024.
 *
 * @example
 * parseSize('2GB') // { ok: true, value: 2000000000 }
 * parseSize('512MiB') // { ok: true, value: 536870912 }
 */
export function parseSize(value: Scalar): Parsed<number> {
  if (typeof value !== 'string') return bad(`${JSON.stringify(value)} has no unit`, SIZE_EXPECTED);
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)$/.exec(value.trim());
  const unit = match?.[2] === undefined ? undefined : SIZE_UNITS[match[2]];
  if (!match || unit === undefined) {
    return bad(`"${value}" is not a size`, SIZE_EXPECTED);
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes)) return bad(`"${value}" is not a whole number of bytes`, SIZE_EXPECTED);
  if (bytes <= 0) return bad(`"${value}" is not more than zero`, SIZE_EXPECTED);
  return ok(bytes);
}

const CPU_EXPECTED = 'a positive number of CPUs, such as 2 or 0.5';

/**
 * Reads a CPU count: a positive number (a numeric string is accepted too, for `${CPUS}`).
 *
 * @example
 * parseCpu(0.5) // { ok: true, value: 0.5 }
 */
export function parseCpu(value: Scalar): Parsed<number> {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) return bad(`${JSON.stringify(value)} is not a number`, CPU_EXPECTED);
  if (n <= 0) return bad(`${n} is not more than zero`, CPU_EXPECTED);
  return ok(n);
}

/** The image a build starts from: nothing (`scratch`) or an image on a Hub. */
export type BaseImage =
  | { kind: 'scratch' }
  | {
      kind: 'image';
      /** `host[:port]` when the reference names one. */
      registry?: string;
      repository: string;
      tag?: string;
      digest?: string;
      /** The reference as written. */
      reference: string;
    };

const REFERENCE_EXPECTED = '"scratch", NAME:TAG or NAME@sha256:<64 hex digits>, NAME optionally starting with HOST[:PORT]/';

/**
 * Splits a leading registry host off a reference, Docker's way: the first path segment is a host
 * when it has a dot or a port, or is `localhost`.
 *
 * @example
 * splitRegistry('127.0.0.1:5000/libs/runtime:^1.2'); // { registry: '127.0.0.1:5000', rest: 'libs/runtime:^1.2' }
 * splitRegistry('libs/runtime:1.0');                 // { rest: 'libs/runtime:1.0' }
 */
function splitRegistry(reference: string): { registry?: string; rest: string } {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return { registry: first, rest: reference.slice(slash + 1) };
  return { rest: reference };
}

/**
 * Reads a base image reference: `scratch`, `busybox:1.35`, `127.0.0.1:5000/team/app@sha256:…`.
 * A tag or a digest is required, so that builds do not silently follow `latest`.
 *
 * @example
 * parseBaseImage('127.0.0.1:5000/team/app:v1')
 * // { ok: true, value: { kind: 'image', registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', … } }
 */
export function parseBaseImage(value: Scalar): Parsed<BaseImage> {
  if (typeof value !== 'string' || value.trim() === '') return bad(`${JSON.stringify(value)} is not an image reference`, REFERENCE_EXPECTED);
  const reference = value.trim();
  if (reference === 'scratch') return ok({ kind: 'scratch' });
  const at = reference.indexOf('@');
  let rest = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? undefined : reference.slice(at + 1);
  if (digest !== undefined) {
    try {
      parseDigest(digest);
    } catch (err) {
      return bad((err as Error).message, REFERENCE_EXPECTED);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) return bad(`"${tag}" is not a valid tag`, REFERENCE_EXPECTED);
  }
  if (tag === undefined && digest === undefined) return bad(`"${reference}" has neither a tag nor a digest`, REFERENCE_EXPECTED);
  const split = splitRegistry(rest);
  const registry = split.registry;
  rest = split.rest;
  try {
    validateRepositoryName(rest);
  } catch (err) {
    return bad((err as Error).message, REFERENCE_EXPECTED);
  }
  const image: BaseImage = { kind: 'image', repository: rest, reference };
  if (registry !== undefined) image.registry = registry;
  if (tag !== undefined) image.tag = tag;
  if (digest !== undefined) image.digest = digest;
  return ok(image);
}

/** What a dependency is pinned by: a SemVer range over tags, one tag, or one digest. */
export type DependencyVersion = { kind: 'range'; range: string } | { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** An artifact a build depends on (`build.dependencies`), resolved through its Hub. */
export interface Dependency {
  /** `host[:port]` when the reference names one. */
  registry?: string;
  repository: string;
  version: DependencyVersion;
  /** The reference as written (trimmed). */
  reference: string;
}

const DEPENDENCY_EXPECTED = 'HOST/NAME:RANGE (^1.2, ~1.2.3, >=1.2 <2, 1.x), HOST/NAME:TAG or HOST/NAME@sha256:<64 hex digits>';

/**
 * Reads a `build.dependencies` entry. After the name comes a SemVer range when it looks like one
 * (an operator, a space, `||` or a wildcard: `^1.2`, `>=1.2 <2`, `1.x`), else an exact tag
 * (`1.2.3`, `latest`), or `@sha256:…` for a digest.
 *
 * @example
 * parseDependency('127.0.0.1:5000/libs/runtime:^1.2')
 * // { ok: true, value: { registry: '127.0.0.1:5000', repository: 'libs/runtime', version: { kind: 'range', range: '^1.2' }, reference: '…' } }
 */
export function parseDependency(value: Scalar): Parsed<Dependency> {
  if (typeof value !== 'string' || value.trim() === '') return bad(`${JSON.stringify(value)} is not an artifact reference`, DEPENDENCY_EXPECTED);
  const reference = value.trim();
  const split = splitRegistry(reference);
  const registry = split.registry;
  let rest = split.rest;
  let version: DependencyVersion;
  const at = rest.indexOf('@');
  const colon = rest.indexOf(':');
  if (at >= 0) {
    const digest = rest.slice(at + 1);
    try {
      parseDigest(digest);
    } catch (err) {
      return bad((err as Error).message, DEPENDENCY_EXPECTED);
    }
    version = { kind: 'digest', digest };
    rest = rest.slice(0, colon >= 0 && colon < at ? colon : at);
  } else if (colon >= 0) {
    const text = rest.slice(colon + 1).trim();
    rest = rest.slice(0, colon);
    if (isRangeLike(text)) {
      try {
        version = { kind: 'range', range: parseRange(text).text };
      } catch (err) {
        if (err instanceof InvalidRangeError) return bad(err.message, DEPENDENCY_EXPECTED);
        throw err;
      }
    } else if (isTag(text)) {
      version = { kind: 'tag', tag: text };
    } else {
      return bad(`"${text}" is neither a tag nor a version range`, DEPENDENCY_EXPECTED);
    }
  } else {
    return bad(`"${reference}" has no version range, tag or digest`, DEPENDENCY_EXPECTED);
  }
  try {
    validateRepositoryName(rest);
  } catch (err) {
    return bad((err as Error).message, DEPENDENCY_EXPECTED);
  }
  const dependency: Dependency = { repository: rest, version, reference };
  if (registry !== undefined) dependency.registry = registry;
  return ok(dependency);
}

/** A `copy` step: `src` inside the build context, `dest` inside the image. */
export interface CopySpec {
  src: string;
  dest: string;
}

const COPY_EXPECTED = '"<src> <dest>": a path inside the build context, then a path in the image';

/**
 * Reads the argument of a `copy` step.
 *
 * @example
 * parseCopy('. /app') // { ok: true, value: { src: '.', dest: '/app' } }
 */
export function parseCopy(value: Scalar): Parsed<CopySpec> {
  if (typeof value !== 'string') return bad(`${JSON.stringify(value)} is not "<src> <dest>"`, COPY_EXPECTED);
  const parts = value.trim().split(/\s+/).filter((p) => p !== '');
  const [src, dest] = parts;
  if (parts.length !== 2 || src === undefined || dest === undefined) {
    return bad(`copy needs two paths, got ${parts.length}`, COPY_EXPECTED);
  }
  if (src.startsWith('/') || src.split('/').includes('..')) return bad(`"${src}" is outside the build context`, COPY_EXPECTED);
  return ok({ src, dest });
}

/**
 * Checks an absolute path in the image (`workdir`).
 *
 * @example
 * parseAbsolutePath('/app') // { ok: true, value: '/app' }
 */
export function parseAbsolutePath(value: Scalar): Parsed<string> {
  if (typeof value !== 'string' || !value.startsWith('/')) return bad(`${JSON.stringify(value)} is not an absolute path`, 'an absolute path such as /app');
  return ok(value);
}

/**
 * Checks the Nockerfile's `name`: it names the image, so it follows the repository name grammar.
 *
 * @example
 * parseImageName('my-app') // { ok: true, value: 'my-app' }
 */
export function parseImageName(value: Scalar): Parsed<string> {
  const expected = 'lowercase letters and digits joined by ".", "_", "__" or "-" (and "/"), such as my-app';
  if (typeof value !== 'string') return bad(`${JSON.stringify(value)} is not a name`, expected);
  try {
    validateRepositoryName(value);
  } catch {
    return bad(`"${value}" is not a valid name`, expected);
  }
  return ok(value);
}
