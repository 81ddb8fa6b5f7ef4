/**
 * Parsing and structural validation of manifests: OCI image manifests and indexes, Docker
 * schema 2 manifests and manifest lists, and artifact manifests. Pure: whether the referenced
 * blobs exist is the registry's business; this module says which ones a manifest references.
 */
import { OciError } from './errors.ts';
import { parseDigest } from './digest.ts';
import { INDEX_TYPES, MANIFEST_TYPES } from './mediatypes.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Record<string, unknown>;
}

export interface ParsedManifest {
  mediaType: string;
  /** `image` lists a config and layers; `index` lists other manifests. */
  kind: 'image' | 'index';
  /** What the referrers API reports: `artifactType`, else the config's media type. */
  artifactType?: string;
  /** Blobs that must be in the repository (config and layers, minus foreign layers). */
  blobs: Descriptor[];
  /** Manifests that must be in the repository (index children). */
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/**
 * Parses manifest bytes sent with `contentType` and checks their structure; throws
 * MANIFEST_INVALID naming the offending field.
 *
 * @example
 * const m = parseManifest(body, 'application/vnd.oci.image.manifest.v1+json');
 * m.blobs.map((d) => d.digest); // config + layers
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw invalid('manifest must be a JSON object');
  if (doc.schemaVersion !== 2) {
    throw invalid(`schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion) ?? 'nothing'}`);
  }

  const mediaType = resolveMediaType(doc.mediaType, contentType);
  const annotations = optionalAnnotations(doc.annotations, 'annotations');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const artifactType = optionalString(doc.artifactType, 'artifactType');

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid('an index needs a "manifests" array');
    const manifests = doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return { mediaType, kind: 'index', artifactType, blobs: [], manifests, subject, annotations };
  }

  const config = descriptor(doc.config, 'config');
  if (doc.layers !== undefined && !Array.isArray(doc.layers)) throw invalid('"layers" must be an array');
  const layers = ((doc.layers as unknown[] | undefined) ?? []).map((d, i) => descriptor(d, `layers[${i}]`));
  // Foreign layers live at their `urls`, not in the registry, so they are not required here.
  const blobs = [config, ...layers.filter((l) => !l.urls?.length)];
  return {
    mediaType,
    kind: 'image',
    artifactType: artifactType ?? config.mediaType,
    blobs,
    manifests: [],
    subject,
    annotations,
  };
}

/** The body's `mediaType` wins when present; it must agree with `Content-Type` when both are. */
function resolveMediaType(field: unknown, contentType: string | undefined): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const body = optionalString(field, 'mediaType');
  const mediaType = body ?? header;
  if (!mediaType) throw invalid('manifest has no mediaType field and the request has no Content-Type');
  if (!MANIFEST_TYPES.has(mediaType)) {
    throw invalid(`unsupported manifest media type "${mediaType}"; supported: ${[...MANIFEST_TYPES].join(', ')}`);
  }
  if (body && header && header !== body && MANIFEST_TYPES.has(header)) {
    throw invalid(`Content-Type "${header}" does not match the manifest's mediaType "${body}"`);
  }
  return mediaType;
}

function descriptor(value: unknown, path: string): Descriptor {
  if (!isObject(value)) throw invalid(`${path} must be a descriptor object`);
  const mediaType = value.mediaType;
  if (typeof mediaType !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/.test(mediaType)) {
    throw invalid(`${path}.mediaType must be a media type such as application/vnd.oci.image.layer.v1.tar+gzip`);
  }
  if (typeof value.digest !== 'string') throw invalid(`${path}.digest must be a digest string`);
  try {
    parseDigest(value.digest);
  } catch (err) {
    throw invalid(`${path}.digest: ${(err as Error).message}`);
  }
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${path}.size must be a whole number of bytes`);
  }
  const urls = value.urls;
  if (urls !== undefined && !(Array.isArray(urls) && urls.every((u) => typeof u === 'string'))) {
    throw invalid(`${path}.urls must be a list of strings`);
  }
  return {
    mediaType,
    digest: value.digest,
    size,
    artifactType: optionalString(value.artifactType, `${path}.artifactType`),
    annotations: optionalAnnotations(value.annotations, `${path}.annotations`),
    urls: urls as string[] | undefined,
    platform: isObject(value.platform) ? value.platform : undefined,
  };
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${path} must be a string`);
  return value;
}

function optionalAnnotations(value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${path} must map strings to strings`);
  }
  return value as Record<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): OciError {
  return new OciError('MANIFEST_INVALID', message);
}
