/**
 * A build's log: every step and every line its commands printed, written to a file as the build
 * goes (a step may print a lot) and digested on the way, so that it can be pushed as an artifact
 * that refers to the image it built.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { scratchName } from './scratch.ts';

/** The artifact type of a pushed build log. */
export const BUILD_LOG_ARTIFACT_TYPE = 'application/vnd.nocker.build.log.v1';
/** The media type of the log's one layer. */
export const BUILD_LOG_MEDIA_TYPE = 'text/plain';

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
