/**
 * The names SBOMs travel under in the registry: their media and artifact types, the annotation
 * that marks the ones the Hub made, and the in-toto wrapping BuildKit uses for its attestations.
 */

/**
 * The SBOM formats the Hub writes and reads, by their media type (which is also the artifact
 * type of the referrer manifest that carries one).
 *
 * @example
 * const referrers = await registry.manifests.referrers('team/app', digest, SbomMediaType.CycloneDx);
 */
export const SbomMediaType = {
  CycloneDx: 'application/vnd.cyclonedx+json',
  Spdx: 'application/spdx+json',
} as const;

/**
 * `cyclonedx` or `spdx`: how people name the formats (`nocker sbom --format`).
 *
 * @example
 * const format: SbomFormat = 'spdx';
 */
export type SbomFormat = 'cyclonedx' | 'spdx';

/**
 * What each format is pushed as: the artifact type of its referrer and the title of its one layer.
 *
 * @example
 * SBOM_FORMATS.spdx.artifactType; // 'application/spdx+json'
 */
export const SBOM_FORMATS: Readonly<Record<SbomFormat, { artifactType: string; title: string }>> = {
  cyclonedx: { artifactType: SbomMediaType.CycloneDx, title: 'sbom.cdx.json' },
  spdx: { artifactType: SbomMediaType.Spdx, title: 'sbom.spdx.json' },
};

/**
 * The manifest annotation that marks an SBOM referrer made by the Hub, with {@link SBOM_GENERATOR}
 * as its value. SBOMs without it were attached by whoever built or pushed the image.
 *
 * @example
 * const hubMade = referrer.annotations?.[SBOM_GENERATOR_ANNOTATION] === SBOM_GENERATOR;
 */
export const SBOM_GENERATOR_ANNOTATION = 'dev.nocker.sbom.generator';

/** The generator annotation's value on the Hub's own SBOMs. */
export const SBOM_GENERATOR = 'nocker-hub';

/** An in-toto statement, as BuildKit stores each attestation as a layer. */
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';

/** The layer annotation naming an in-toto statement's predicate type. */
export const IN_TOTO_PREDICATE_ANNOTATION = 'in-toto.io/predicate-type';

/**
 * The predicate types of SBOM statements, and the format each holds. BuildKit writes SPDX; the
 * CycloneDX ones come from cosign and others.
 *
 * @example
 * SBOM_PREDICATE_TYPES.get('https://spdx.dev/Document'); // 'spdx'
 */
export const SBOM_PREDICATE_TYPES: ReadonlyMap<string, SbomFormat> = new Map([
  ['https://spdx.dev/Document', 'spdx'],
  ['https://cyclonedx.org/bom', 'cyclonedx'],
  ['https://cyclonedx.org/schema', 'cyclonedx'],
]);

/** The index entry annotations with which BuildKit ties an attestation manifest to its image. */
export const DOCKER_REFERENCE_TYPE = 'vnd.docker.reference.type';
export const DOCKER_REFERENCE_DIGEST = 'vnd.docker.reference.digest';
/** {@link DOCKER_REFERENCE_TYPE}'s value on attestation manifests. */
export const ATTESTATION_MANIFEST = 'attestation-manifest';
