/**
 * Packages from SBOMs that came with an image: referrers of type CycloneDX or SPDX that a build
 * or a person attached (not the Hub's own, which only repeat what the scan found), and the SBOM
 * attestations BuildKit puts in the image's index. They tell the scanner about packages it
 * cannot see in the files (statically linked code, vendored sources).
 *
 * Reading is best effort: an SBOM that is too big, not JSON or of no known shape is skipped with
 * a warning, never an error that would fail the scan.
 */
import type { Database } from '../../db/open.ts';
import { indexesOf } from '../../deps/graph.ts';
import type { Registry } from '../../registry/registry.ts';
import type { OsInfo, PackageType } from '../analysers/types.ts';
import { osvEcosystem } from '../ecosystem.ts';
import type { ScannedPackage } from '../types.ts';
import {
  ATTESTATION_MANIFEST,
  DOCKER_REFERENCE_DIGEST,
  DOCKER_REFERENCE_TYPE,
  IN_TOTO_MEDIA_TYPE,
  IN_TOTO_PREDICATE_ANNOTATION,
  SBOM_GENERATOR,
  SBOM_GENERATOR_ANNOTATION,
  SBOM_PREDICATE_TYPES,
  SbomMediaType,
} from './media-types.ts';
import { parsePurl, type ParsedPurl } from './purl-parse.ts';
import { readAtMost } from '../../oci/read-at-most.ts';

/** The most bytes read of one SBOM document or statement. */
export const MAX_SBOM_BYTES = 32 * 1024 * 1024;
/** The most bytes read of one manifest (the registry already bounds what it accepts). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const SBOM_TYPES: ReadonlySet<string> = new Set([SbomMediaType.CycloneDx, SbomMediaType.Spdx]);
const PACKAGE_TYPES: ReadonlySet<string> = new Set<PackageType>(['deb', 'apk', 'npm', 'pypi', 'gem', 'cargo', 'golang', 'maven']);

/**
 * How {@link packagesFromAttachedSboms} reads.
 *
 * @example
 * const options: SbomReadOptions = { db, maxBytes: 8 * 1024 * 1024, warn: (w) => log.warn(w) };
 */
export interface SbomReadOptions {
  /** With the database, SBOM attestations in the indexes of the repository that list the image are read too. */
  db?: Database;
  /** Per document; default {@link MAX_SBOM_BYTES}. */
  maxBytes?: number;
  /** Where skipped SBOMs are reported; default one JSON line on stderr. */
  warn?: (warning: { msg: string; repository: string; digest: string; reason: string }) => void;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultWarn(warning: { msg: string; repository: string; digest: string; reason: string }): void {
  console.warn(JSON.stringify({ level: 'warn', ...warning }));
}

/**
 * The distribution a distribution package's purl names: its namespace, and the release from its
 * `distro` qualifier (`debian-12`, `alpine-3.19.1`, or a codename such as `debian-bookworm`).
 */
function distroOf(namespace: string | undefined, distro: string | undefined): OsInfo | undefined {
  const dash = distro?.lastIndexOf('-') ?? -1;
  const id = (distro && dash > 0 ? distro.slice(0, dash) : namespace)?.toLowerCase();
  if (!id) return undefined;
  const release = distro && dash > 0 ? distro.slice(dash + 1) : undefined;
  if (!release) return { id };
  return /^\d/.test(release) ? { id, versionId: release } : { id, versionCodename: release };
}

/**
 * The package a purl names, when it is of a type the scanner matches (deb, apk, npm, pypi, gem,
 * cargo, golang, maven) and has a version. Names are put back as the analysers write them:
 * `@scope/name` for npm, the module path for Go, `groupId:artifactId` for Maven; a distribution
 * package's source comes from its `upstream` qualifier. The OSV ecosystem is set as for the
 * packages a scan finds, a distribution package's release taken from its `distro` qualifier.
 *
 * @example
 * packageFromPurl('pkg:npm/%40types/node@20.11.5', 'sbom:sha256:…');
 * // { type: 'npm', name: '@types/node', version: '20.11.5', path: 'sbom:sha256:…', purl: 'pkg:npm/%40types/node@20.11.5', ecosystem: 'npm' }
 */
export function packageFromPurl(purl: string, path: string): ScannedPackage | undefined {
  let parsed: ParsedPurl;
  try {
    parsed = parsePurl(purl);
  } catch {
    return undefined;
  }
  const pkg = installedFromPurl(parsed, purl, path);
  if (!pkg) return undefined;
  const os = pkg.type === 'deb' || pkg.type === 'apk' ? distroOf(parsed.namespace, parsed.qualifiers.distro) : undefined;
  const ecosystem = osvEcosystem(pkg, os);
  return ecosystem ? { ...pkg, ecosystem } : pkg;
}

function installedFromPurl({ type, namespace, name, version, qualifiers }: ParsedPurl, purl: string, path: string): ScannedPackage | undefined {
  if (!PACKAGE_TYPES.has(type) || !version) return undefined;
  const packageType = type as PackageType;
  const base = { type: packageType, version, path, purl };
  switch (packageType) {
    case 'deb':
    case 'apk': {
      const upstream = qualifiers.upstream;
      const at = upstream?.indexOf('@') ?? -1;
      const source = upstream === undefined ? {} : at > 0 ? { sourceName: upstream.slice(0, at), sourceVersion: upstream.slice(at + 1) } : { sourceName: upstream };
      return { ...base, name, ...source, ...(qualifiers.arch ? { arch: qualifiers.arch } : {}) };
    }
    case 'npm':
    case 'golang':
      return { ...base, name: namespace ? `${namespace}/${name}` : name };
    case 'maven':
      return namespace ? { ...base, name: `${namespace}:${name}` } : undefined;
    case 'pypi':
    case 'gem':
    case 'cargo':
      return { ...base, name };
  }
}

/** Every purl in a CycloneDX BOM, nested components and the metadata's component's included. */
function cycloneDxPurls(bom: JsonObject): string[] {
  const purls: string[] = [];
  const visit = (components: unknown) => {
    if (!Array.isArray(components)) return;
    for (const component of components) {
      if (!isObject(component)) continue;
      if (typeof component.purl === 'string') purls.push(component.purl);
      visit(component.components);
    }
  };
  visit(bom.components);
  if (isObject(bom.metadata) && isObject(bom.metadata.component)) visit(bom.metadata.component.components);
  return purls;
}

/** Every purl among the SPDX packages' external references. */
function spdxPurls(document: JsonObject): string[] {
  if (!Array.isArray(document.packages)) return [];
  return document.packages.flatMap((pkg) =>
    isObject(pkg) && Array.isArray(pkg.externalRefs)
      ? pkg.externalRefs.flatMap((ref) => (isObject(ref) && ref.referenceType === 'purl' && typeof ref.referenceLocator === 'string' ? [ref.referenceLocator] : []))
      : [],
  );
}

/**
 * The packages a CycloneDX or SPDX JSON document lists by purl, each once, with `path` as where
 * they were found. Throws when the document is of neither format.
 *
 * @example
 * packagesFromSbom(JSON.parse(json), 'sbom:sha256:…').map((p) => p.purl);
 */
export function packagesFromSbom(document: unknown, path: string): ScannedPackage[] {
  if (!isObject(document)) throw new Error('the SBOM is not a JSON object');
  let purls: string[];
  if (document.bomFormat === 'CycloneDX') purls = cycloneDxPurls(document);
  else if (typeof document.spdxVersion === 'string') purls = spdxPurls(document);
  else throw new Error('the document is neither CycloneDX (bomFormat) nor SPDX (spdxVersion)');
  const packages = new Map<string, ScannedPackage>();
  for (const purl of purls) {
    const pkg = packageFromPurl(purl, path);
    if (pkg && !packages.has(purl)) packages.set(purl, pkg);
  }
  return [...packages.values()];
}

/** A blob of the repository as JSON, refusing more than `limit` bytes. */
async function readJsonBlob(registry: Registry, repository: string, digest: string, limit: number): Promise<unknown> {
  const { size } = await registry.blobs.stat(repository, digest);
  if (size > limit) throw new Error(`${digest} is ${size} bytes, more than the ${limit} read of an SBOM`);
  const bytes = await readAtMost(await registry.blobs.read(digest), limit);
  if (!bytes) throw new Error(`${digest} holds more than the ${limit} bytes read of an SBOM`);
  return JSON.parse(bytes.toString('utf8'));
}

/** A manifest of the repository as JSON. */
async function readManifest(registry: Registry, repository: string, digest: string): Promise<JsonObject> {
  const { content } = await registry.manifests.get(repository, digest);
  if (content.length > MAX_MANIFEST_BYTES) throw new Error(`manifest ${digest} is too big to read SBOMs from`);
  const value: unknown = JSON.parse(Buffer.from(content).toString('utf8'));
  if (!isObject(value)) throw new Error(`manifest ${digest} is not a JSON object`);
  return value;
}

function layersOf(manifest: JsonObject): JsonObject[] {
  return Array.isArray(manifest.layers) ? manifest.layers.filter(isObject) : [];
}

/** The SBOM inside an in-toto statement of an SBOM predicate type, or undefined for other statements. */
function sbomFromStatement(statement: unknown): unknown {
  if (!isObject(statement) || typeof statement.predicateType !== 'string') throw new Error('the layer is not an in-toto statement');
  return SBOM_PREDICATE_TYPES.has(statement.predicateType) ? statement.predicate : undefined;
}

/**
 * Packages from one referrer manifest of an SBOM artifact type: its layers of an SBOM media type
 * (or its only layer), and in-toto statements among them unwrapped.
 */
async function packagesFromReferrer(registry: Registry, repository: string, digest: string, limit: number): Promise<ScannedPackage[]> {
  const layers = layersOf(await readManifest(registry, repository, digest));
  const wanted = layers.filter((l) => typeof l.mediaType === 'string' && (SBOM_TYPES.has(l.mediaType) || l.mediaType === IN_TOTO_MEDIA_TYPE));
  const packages: ScannedPackage[] = [];
  for (const layer of wanted.length > 0 ? wanted : layers.length === 1 ? layers : []) {
    if (typeof layer.digest !== 'string') continue;
    const json = await readJsonBlob(registry, repository, layer.digest, limit);
    const sbom = layer.mediaType === IN_TOTO_MEDIA_TYPE ? sbomFromStatement(json) : json;
    if (sbom !== undefined) packages.push(...packagesFromSbom(sbom, `sbom:${digest}`));
  }
  return packages;
}

/** Runs `read`, turning a failure into a warning about `digest` and an empty list. */
async function bestEffort<T>(options: SbomReadOptions, repository: string, digest: string, read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch (err) {
    (options.warn ?? defaultWarn)({ msg: 'an attached SBOM was skipped', repository, digest, reason: err instanceof Error ? err.message : String(err) });
    return [];
  }
}

/** Each package once by purl, the first found kept. */
function unique(packages: ScannedPackage[]): ScannedPackage[] {
  const byPurl = new Map<string, ScannedPackage>();
  for (const pkg of packages) if (!byPurl.has(pkg.purl)) byPurl.set(pkg.purl, pkg);
  return [...byPurl.values()];
}

/**
 * The packages that SBOM attestations in the index `indexDigest` list for the image
 * `imageDigest`: BuildKit stores them as attestation manifests, index entries annotated with
 * `vnd.docker.reference.type: attestation-manifest` and the image's digest, whose layers are
 * in-toto statements; those with an SPDX or CycloneDX predicate are read. Each package's path is
 * `sbom:<attestation manifest digest>`. Never throws: what cannot be read is skipped with a warning.
 *
 * @example
 * const packages = await packagesFromIndexAttestations(registry, 'team/app', indexDigest, imageDigest);
 */
export async function packagesFromIndexAttestations(
  registry: Registry,
  repository: string,
  indexDigest: string,
  imageDigest: string,
  options: SbomReadOptions = {},
): Promise<ScannedPackage[]> {
  const limit = options.maxBytes ?? MAX_SBOM_BYTES;
  const attestations = await bestEffort(options, repository, indexDigest, async () => {
    const index = await readManifest(registry, repository, indexDigest);
    const listed = Array.isArray(index.manifests) ? index.manifests.filter(isObject) : [];
    return listed
      .filter((entry) => isObject(entry.annotations) && entry.annotations[DOCKER_REFERENCE_TYPE] === ATTESTATION_MANIFEST && entry.annotations[DOCKER_REFERENCE_DIGEST] === imageDigest)
      .flatMap((entry) => (typeof entry.digest === 'string' ? [entry.digest] : []));
  });
  const packages: ScannedPackage[] = [];
  for (const digest of attestations) {
    packages.push(
      ...(await bestEffort(options, repository, digest, async () => {
        const found: ScannedPackage[] = [];
        for (const layer of layersOf(await readManifest(registry, repository, digest))) {
          const annotations = isObject(layer.annotations) ? layer.annotations : {};
          const predicateType = annotations[IN_TOTO_PREDICATE_ANNOTATION];
          if (layer.mediaType !== IN_TOTO_MEDIA_TYPE || typeof layer.digest !== 'string') continue;
          // The annotation says which statements are SBOMs without reading the others (provenance can be big).
          if (typeof predicateType === 'string' && !SBOM_PREDICATE_TYPES.has(predicateType)) continue;
          const sbom = sbomFromStatement(await readJsonBlob(registry, repository, layer.digest, limit));
          if (sbom !== undefined) found.push(...packagesFromSbom(sbom, `sbom:${digest}`));
        }
        return found;
      })),
    );
  }
  return unique(packages);
}

/**
 * The packages listed by the SBOMs that came with the image `digest` of `repository`: its
 * CycloneDX and SPDX referrers not made by the Hub (plain documents or in-toto statements), and,
 * given `options.db`, the SBOM attestations of the indexes there that list it. Each package once
 * by purl, its path `sbom:<manifest digest>`, its ecosystem left for the caller to set. Never
 * throws: an SBOM that cannot be read is skipped with a warning.
 *
 * @example
 * const extra = await packagesFromAttachedSboms(registry, 'team/app', digest, { db });
 */
export async function packagesFromAttachedSboms(registry: Registry, repository: string, digest: string, options: SbomReadOptions = {}): Promise<ScannedPackage[]> {
  const limit = options.maxBytes ?? MAX_SBOM_BYTES;
  const packages: ScannedPackage[] = [];
  const referrers = await registry.manifests.referrers(repository, digest).catch((err: unknown) => {
    (options.warn ?? defaultWarn)({ msg: 'the referrers of an image could not be listed', repository, digest, reason: err instanceof Error ? err.message : String(err) });
    return [];
  });
  for (const referrer of referrers) {
    if (!referrer.artifactType || !SBOM_TYPES.has(referrer.artifactType)) continue;
    if (referrer.annotations?.[SBOM_GENERATOR_ANNOTATION] === SBOM_GENERATOR) continue;
    packages.push(...(await bestEffort(options, repository, referrer.digest, () => packagesFromReferrer(registry, repository, referrer.digest, limit))));
  }
  const { db } = options;
  if (db) {
    const indexes = await bestEffort(options, repository, digest, async () => (await indexesOf(db, repository, digest)).map((index) => index.digest));
    for (const index of indexes) packages.push(...(await packagesFromIndexAttestations(registry, repository, index, digest, options)));
  }
  return unique(packages);
}
