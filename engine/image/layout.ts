/**
 * An OCI image layout directory (image-spec `image-layout.md`): `oci-layout`, `index.json`
 * naming manifests by `org.opencontainers.image.ref.name`, and blobs under `blobs/<alg>/<hex>`.
 * Blobs are written under a temporary name outside `blobs/` and renamed into place, so an
 * interrupted write never leaves a partial blob where a reader would find it; `index.json` is
 * replaced the same way.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf, parseDigest } from '../../hub/oci/digest.ts';
import { MediaType } from '../../hub/oci/mediatypes.ts';

/** The annotation that names a manifest in `index.json`. */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** A descriptor as `index.json` lists it. */
export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Record<string, unknown>;
}

/** The layout's `index.json`. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: LayoutDescriptor[];
  annotations?: Record<string, string>;
}

/** Where temporary files live until they are complete: inside the layout, outside `blobs/`. */
const INGEST_DIR = '.ingest';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes `data` to `path` through a temporary file and a rename. */
async function writeAtomically(dir: string, path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dir, `${INGEST_DIR}/${randomBytes(8).toString('hex')}.tmp`);
  await mkdir(join(dir, INGEST_DIR), { recursive: true });
  try {
    const file = await open(temp, 'wx', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * An OCI image layout on disk, created on first use and added to afterwards.
 *
 * @example
 * const layout = await OciLayout.open('out');
 * await layout.writeBlob(config.digest, config.bytes);
 * await layout.tag({ mediaType, digest, size }, 'v1');
 */
export class OciLayout {
  private constructor(readonly dir: string) {}

  /** Opens the layout at `dir`, creating the directory, `oci-layout` and `index.json` when missing. */
  static async open(dir: string): Promise<OciLayout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const marker = join(dir, 'oci-layout');
    const existing = await readFile(marker, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (existing === undefined) {
      await writeAtomically(dir, marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(existing);
      } catch {
        parsed = undefined;
      }
      if (!isObject(parsed) || typeof parsed.imageLayoutVersion !== 'string') throw new Error(`${dir} is not an OCI image layout: its oci-layout file is not valid`);
    }
    const layout = new OciLayout(dir);
    const index = await layout.readIndex();
    if (!(await stat(join(dir, 'index.json')).catch(() => undefined))) await layout.writeIndex(index);
    return layout;
  }

  /** The path of a blob in the layout (whether or not it is there). */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, encoded);
  }

  /** True when the layout holds the blob. */
  async hasBlob(digest: string): Promise<boolean> {
    return stat(this.blobPath(digest)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /**
   * Adds a blob unless the layout has it. `write` fills the temporary file it is given (a path
   * outside `blobs/`) and must check the bytes; the file is renamed into place once `write`
   * resolves, and removed when it rejects. Resolves to false when the blob was already there.
   */
  async addBlob(digest: string, write: (tempPath: string) => Promise<void>): Promise<boolean> {
    const target = this.blobPath(digest);
    if (await this.hasBlob(digest)) return false;
    await mkdir(join(this.dir, 'blobs', parseDigest(digest).algorithm), { recursive: true });
    await mkdir(join(this.dir, INGEST_DIR), { recursive: true });
    const temp = join(this.dir, INGEST_DIR, `${parseDigest(digest).encoded}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await write(temp);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return true;
  }

  /** Adds a blob held in memory, refusing bytes that do not match `digest`. */
  async writeBlob(digest: string, bytes: Uint8Array): Promise<boolean> {
    const actual = digestOf(bytes, parseDigest(digest).algorithm);
    if (actual !== digest) throw new Error(`the bytes given for ${digest} have the digest ${actual}`);
    return this.addBlob(digest, async (temp) => {
      const file = await open(temp, 'wx', 0o644);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
    });
  }

  /** Reads a blob of the layout. */
  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /** Reads `index.json`; an absent one is an empty index. */
  async readIndex(): Promise<LayoutIndex> {
    const path = join(this.dir, 'index.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isObject(parsed) || parsed.schemaVersion !== 2 || !Array.isArray(parsed.manifests)) throw new Error(`${path} is not an image index`);
    return parsed as unknown as LayoutIndex;
  }

  /** The manifest a name points at (the `ref.name` annotation), if any. */
  async find(refName: string): Promise<LayoutDescriptor | undefined> {
    const index = await this.readIndex();
    return index.manifests.find((m) => m.annotations?.[REF_NAME] === refName);
  }

  /**
   * Names a manifest in `index.json`: the name moves to `manifest` if it pointed elsewhere. The
   * manifest's blob must already be in the layout.
   */
  async tag(manifest: LayoutDescriptor, refName: string): Promise<void> {
    if (!(await this.hasBlob(manifest.digest))) throw new Error(`cannot name ${manifest.digest} "${refName}": the layout does not hold it`);
    await this.#locked(() => this.#name(manifest, refName));
  }

  /**
   * Runs `work` holding `index.json.lock`, so that two pulls into one layout do not lose each
   * other's names. A lock older than a minute is left over from a crash and taken over.
   */
  async #locked(work: () => Promise<void>): Promise<void> {
    const lock = join(this.dir, 'index.json.lock');
    for (let attempt = 0; ; attempt += 1) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > 60_000) await rm(lock, { force: true });
        else if (attempt >= 400) throw new Error(`${lock} is held by another process; remove it if no pull is running`);
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    try {
      await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async #name(manifest: LayoutDescriptor, refName: string): Promise<void> {
    const index = await this.readIndex();
    const others = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== refName);
    const entry: LayoutDescriptor = {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      ...(manifest.platform ? { platform: manifest.platform } : {}),
      annotations: { ...manifest.annotations, [REF_NAME]: refName },
    };
    await this.writeIndex({ ...index, schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...others, entry] });
  }

  private async writeIndex(index: LayoutIndex): Promise<void> {
    await writeAtomically(this.dir, join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
}
