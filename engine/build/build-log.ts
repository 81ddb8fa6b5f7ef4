/**
 * A build's log: every step and every line its commands printed, written to a file as the build
 * goes (a step may print a lot) and digested on the way, so that it can be pushed as an artifact
 * that refers to the image it built.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { jsonBlob, type JsonBlob } from '../image/blob.ts';
import { MANIFEST_MEDIA_TYPE, type Descriptor } from '../image/manifest.ts';
import { rfc3339 } from '../image/time.ts';
import { scratchName } from './scratch.ts';

/** The artifact type of a pushed build log. */
export const BUILD_LOG_ARTIFACT_TYPE = 'application/vnd.nocker.build.log.v1';
/** The media type of the log's one layer. */
export const BUILD_LOG_MEDIA_TYPE = 'text/plain';
/** The OCI empty config that artifacts without a config point at. */
export const EMPTY_CONFIG: Descriptor & { data: string } = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
};

/** A finished log on disk. */
export interface BuildLogFile {
  path: string;
  digest: string;
  size: number;
}

/** Appends lines to a log file, hashing them as they are written. */
export class BuildLog {
  readonly path: string;
  readonly #hash = createHash('sha256');
  readonly #out: WriteStream;
  #size = 0;

  constructor(directory: string) {
    this.path = join(directory, `${scratchName('log')}.log`);
    this.#out = createWriteStream(this.path, { mode: 0o600 });
  }

  line(text: string): void {
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    this.#hash.update(bytes);
    this.#size += bytes.length;
    this.#out.write(bytes);
  }

  /** Closes the file; resolves to its path, digest and size. */
  async finish(): Promise<BuildLogFile> {
    await new Promise<void>((resolve, reject) => this.#out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return { path: this.path, digest: `sha256:${this.#hash.digest('hex')}`, size: this.#size };
  }
}

/**
 * The manifest of a build log artifact: the OCI empty config, the log as its one layer, and the
 * image it belongs to as its `subject`, so that the referrers API lists it under the image.
 *
 * @example
 * const manifest = buildLogManifest(log, { mediaType: image.manifest.mediaType, digest: image.digest, size: image.manifest.size }, Date.now() / 1000);
 */
export function buildLogManifest(log: BuildLogFile, subject: Descriptor, created: number): JsonBlob {
  return jsonBlob(MANIFEST_MEDIA_TYPE, {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: BUILD_LOG_ARTIFACT_TYPE,
    config: { ...EMPTY_CONFIG },
    layers: [{ mediaType: BUILD_LOG_MEDIA_TYPE, digest: log.digest, size: log.size, annotations: { 'org.opencontainers.image.title': 'build.log' } }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'org.opencontainers.image.created': rfc3339(Math.floor(created)) },
  });
}
