/**
 * A build's artifact dependencies (`build.dependencies`): each resolved through its Hub — a range
 * by the Hub's resolve endpoint, a tag or a digest by its manifest — unless Nockerfile.lock
 * already pins the same reference, then recorded on the image as an annotation. Only the
 * references are resolved: the dependencies' content is not pulled into the build.
 */
import { createHash } from 'node:crypto';
import type { HubClient } from '../../hub/client/client.ts';
import { errorFromResponse } from '../../hub/client/errors.ts';
import { resolveRange } from '../../hub/client/resolve.ts';
import { MediaType } from '../../hub/oci/mediatypes.ts';
import type { Dependency } from '../nockerfile/index.ts';
import type { LockedDependency } from './lock.ts';

/** The manifest annotation listing the dependencies, a JSON array of `HOST/NAME:TAG@sha256:…`. */
export const DEPENDENCIES_ANNOTATION = 'dev.nocker.dependencies';

/** The Hub client for a dependency's registry (`host[:port]`, or undefined for the default Hub). */
export type DependencyHubs = (registry: string | undefined) => Promise<HubClient>;

/** A dependency as this build uses it. */
export interface ResolvedDependency extends LockedDependency {
  /** `HOST/NAME:TAG@sha256:…` (`HOST/NAME@sha256:…` for a digest pin), as the annotation lists it. */
  pinned: string;
  /** Whether Nockerfile.lock gave the pin (the Hub was not asked). */
  locked: boolean;
}

const ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

/**
 * The reference a dependency is locked under: as written, qualified with its Hub's host.
 *
 * @example
 * dependencyRef('127.0.0.1:5000', { repository: 'libs/runtime', version: { kind: 'range', range: '^1.2' }, reference: 'libs/runtime:^1.2' });
 * // '127.0.0.1:5000/libs/runtime:^1.2'
 */
export function dependencyRef(host: string, dependency: Dependency): string {
  const { version } = dependency;
  const suffix = version.kind === 'range' ? `:${version.range}` : version.kind === 'tag' ? `:${version.tag}` : `@${version.digest}`;
  return `${host}/${dependency.repository}${suffix}`;
}

/** The digest of the manifest `reference` names in `repository` (checked when it is a digest). */
async function manifestDigest(client: HubClient, repository: string, reference: string, ref: string): Promise<string> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const res = await client.v2('GET', path, { headers: { Accept: ACCEPT } });
  if (!res.ok) {
    const error = await errorFromResponse(res, `GET ${path}`);
    error.message = `dependency ${ref} does not resolve on the Hub at ${client.host}: ${error.message}`;
    throw error;
  }
  const digest = `sha256:${createHash('sha256').update(new Uint8Array(await res.arrayBuffer())).digest('hex')}`;
  if (reference.startsWith('sha256:') && digest !== reference) throw new Error(`the Hub at ${client.host} sent manifest ${digest} for dependency ${ref}`);
  return digest;
}

/** Asks the Hub what a dependency resolves to now. */
async function resolveOne(client: HubClient, dependency: Dependency, ref: string): Promise<LockedDependency> {
  const { version, repository } = dependency;
  switch (version.kind) {
    case 'range': {
      try {
        const { tag, digest } = await resolveRange(client, repository, version.range);
        return { ref, tag, digest };
      } catch (err) {
        if (err instanceof Error) err.message = `dependency ${ref} does not resolve on the Hub at ${client.host}: ${err.message}`;
        throw err;
      }
    }
    case 'tag':
      return { ref, tag: version.tag, digest: await manifestDigest(client, repository, version.tag, ref) };
    case 'digest':
      return { ref, digest: await manifestDigest(client, repository, version.digest, ref) };
  }
}

/**
 * Resolves a build's dependencies, in their order: each one pinned by `locked` (same reference)
 * is taken from there unless `update`; the others are asked of their Hub. Rejects with the Hub's
 * message, naming the dependency, when one does not resolve.
 *
 * @example
 * const resolved = await resolveDependencies(nf.build.dependencies, hubs, lock.dependencies ?? [], false);
 * resolved[0].pinned; // '127.0.0.1:5000/libs/runtime:1.2.5@sha256:…'
 */
export async function resolveDependencies(dependencies: readonly Dependency[], hubs: DependencyHubs, locked: readonly LockedDependency[], update: boolean): Promise<ResolvedDependency[]> {
  const pins = new Map(locked.map((entry) => [entry.ref, entry]));
  const resolved: ResolvedDependency[] = [];
  for (const dependency of dependencies) {
    const client = await hubs(dependency.registry);
    const ref = dependencyRef(client.host, dependency);
    const pin = update ? undefined : pins.get(ref);
    const entry = pin ?? (await resolveOne(client, dependency, ref));
    const pinned = `${client.host}/${dependency.repository}${entry.tag === undefined ? '' : `:${entry.tag}`}@${entry.digest}`;
    resolved.push({ ref, ...(entry.tag === undefined ? {} : { tag: entry.tag }), digest: entry.digest, pinned, locked: pin !== undefined });
  }
  return resolved;
}

/**
 * The lock's dependencies after a build: those it resolved, replacing any entry of the same
 * reference, and the entries of other references kept (another environment may use them), as
 * the bases are kept.
 *
 * @example
 * lock.dependencies = lockedDependencies(lock.dependencies ?? [], resolved);
 */
export function lockedDependencies(before: readonly LockedDependency[], resolved: readonly ResolvedDependency[]): LockedDependency[] {
  const refs = new Set(resolved.map((d) => d.ref));
  const entries = resolved.map((d) => ({ ref: d.ref, ...(d.tag === undefined ? {} : { tag: d.tag }), digest: d.digest }));
  return [...before.filter((entry) => !refs.has(entry.ref)), ...entries];
}

/**
 * The value of {@link DEPENDENCIES_ANNOTATION}: the pinned references, in the Nockerfile's order.
 *
 * @example
 * dependenciesAnnotation(resolved); // '["127.0.0.1:5000/libs/runtime:1.2.5@sha256:…"]'
 */
export function dependenciesAnnotation(resolved: readonly ResolvedDependency[]): string {
  return JSON.stringify(resolved.map((d) => d.pinned));
}

/**
 * The build log line of a dependency: `dependency HOST/NAME:^1.2 → 1.2.5 sha256:…`.
 *
 * @example
 * describeDependency(resolved[0]); // 'dependency 127.0.0.1:5000/libs/runtime:^1.2 → 1.2.5 sha256:… (locked)'
 */
export function describeDependency(dependency: ResolvedDependency): string {
  return `dependency ${dependency.ref} → ${dependency.tag === undefined ? '' : `${dependency.tag} `}${dependency.digest}${dependency.locked ? ' (locked)' : ''}`;
}
