/**
 * Records the layer stack of every image manifest pushed (`image_layers`): the ChainIDs of its
 * config's diff_ids and the base annotations, which the dependency graph reads. Artifacts
 * (signatures, SBOMs: manifests with a subject or a non-image config) have no stack to record.
 * Images pushed before the Hub kept these rows get them from {@link backfillImageLayers}.
 */
import type { Readable } from 'node:stream';
import { and, asc, eq, gt, inArray, isNull, notExists, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imageLayers, manifests, repositories } from '../db/schema.ts';
import { isDigest } from '../oci/digest.ts';
import { readAtMost } from '../oci/read-at-most.ts';
import { parseManifest } from '../oci/manifest.ts';
import { IMAGE_MANIFEST_TYPES } from '../oci/mediatypes.ts';
import type { RegistryEvents } from '../registry/events.ts';
import { chainIds } from './chain-id.ts';

/** The config media types of images (OCI and Docker); any other config makes an artifact. */
export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** `org.opencontainers.image.base.name`: the base image's reference, e.g. `127.0.0.1:5000/library/debian:12`. */
export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';
/** `org.opencontainers.image.base.digest`: the base image's manifest digest. */
export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';

/** An image config larger than this is not read: real ones are a few KiB. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** How the recorder reads a config blob: by digest, as the blob store streams it. */
export type ReadBlob = (digest: string) => Promise<Readable>;

/** What recording one manifest did. */
export type RecordOutcome = 'recorded' | 'not-an-image' | 'unknown';

/**
 * Reads the manifest `digest` of `repository` and, when it is an image, writes (or rewrites)
 * its `image_layers` row. Throws when the config cannot be read or is not an image config.
 *
 * @example
 * await recordImageLayers(db, (d) => registry.blobs.read(d), 'library/debian', 'sha256:…'); // 'recorded'
 */
export async function recordImageLayers(db: Database, readBlob: ReadBlob, repository: string, digest: string): Promise<RecordOutcome> {
  const [row] = await db
    .select({ id: manifests.id, mediaType: manifests.mediaType, content: manifests.content })
    .from(manifests)
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(and(eq(repositories.name, repository), eq(manifests.digest, digest)));
  if (!row) return 'unknown';
  return recordRow(db, readBlob, { id: row.id, digest, mediaType: row.mediaType, content: new Uint8Array(row.content) });
}

async function recordRow(db: Database, readBlob: ReadBlob, row: { id: number; digest: string; mediaType: string; content: Uint8Array }): Promise<RecordOutcome> {
  if (!IMAGE_MANIFEST_TYPES.has(row.mediaType)) return 'not-an-image';
  const manifest = parseManifest(row.content, row.mediaType);
  const config = manifest.blobs[0];
  if (manifest.kind !== 'image' || manifest.subject || !config || !IMAGE_CONFIG_TYPES.has(config.mediaType) || !IMAGE_CONFIG_TYPES.has(manifest.artifactType ?? '')) {
    return 'not-an-image';
  }
  if (config.size > MAX_CONFIG_BYTES) throw new Error(`the config ${config.digest} is ${config.size} bytes, more than the ${MAX_CONFIG_BYTES} read`);
  const bytes = await readAtMost(await readBlob(config.digest), MAX_CONFIG_BYTES);
  if (!bytes) throw new Error(`the config ${config.digest} is larger than ${MAX_CONFIG_BYTES} bytes`);
  const diffIds = diffIdsOf(bytes, config.digest);
  // An image without layers is built on nothing and is nobody's base.
  if (diffIds.length === 0) return 'not-an-image';
  const chain = chainIds(diffIds);
  const annotations = manifest.annotations ?? {};
  const baseDigest = annotations[BASE_DIGEST_ANNOTATION];
  const values = {
    manifestId: row.id,
    digest: row.digest,
    chainIds: chain,
    layerCount: chain.length,
    topChainId: chain.at(-1) as string,
    baseName: annotations[BASE_NAME_ANNOTATION] || null,
    // A malformed digest names nothing: better no annotation than a wrong edge.
    baseDigest: baseDigest && isDigest(baseDigest) ? baseDigest : null,
  };
  const { manifestId: _, ...changes } = values;
  await db.insert(imageLayers).values(values).onConflictDoUpdate({ target: imageLayers.manifestId, set: changes });
  return 'recorded';
}

/** The config's `rootfs.diff_ids`, checked to be digests. */
function diffIdsOf(bytes: Uint8Array, digest: string): string[] {
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`the config ${digest} is not JSON`);
  }
  const rootfs = typeof config === 'object' && config !== null ? (config as { rootfs?: unknown }).rootfs : undefined;
  const diffIds = typeof rootfs === 'object' && rootfs !== null ? (rootfs as { diff_ids?: unknown }).diff_ids : undefined;
  if (!Array.isArray(diffIds) || !diffIds.every((d): d is string => typeof d === 'string' && isDigest(d))) {
    throw new Error(`the config ${digest} has no rootfs.diff_ids list of digests`);
  }
  return diffIds;
}


/**
 * Records the layers of manifests that have no `image_layers` row yet, `batchSize` at a time
 * in id order; a manifest that fails (an unreadable config) is logged and passed over.
 * Returns how many rows were written.
 *
 * @example
 * await backfillImageLayers(db, (d) => registry.blobs.read(d)); // at Hub start
 */
export async function backfillImageLayers(db: Database, readBlob: ReadBlob, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 100;
  let after = 0;
  let recorded = 0;
  for (;;) {
    const batch = await db
      .select({ id: manifests.id, digest: manifests.digest, mediaType: manifests.mediaType, content: manifests.content })
      .from(manifests)
      .where(
        and(
          gt(manifests.id, after),
          inArray(manifests.mediaType, [...IMAGE_MANIFEST_TYPES]),
          inArray(manifests.artifactType, [...IMAGE_CONFIG_TYPES]),
          isNull(manifests.subjectDigest),
          notExists(db.select({ one: sql`1` }).from(imageLayers).where(eq(imageLayers.manifestId, manifests.id))),
        ),
      )
      .orderBy(asc(manifests.id))
      .limit(batchSize);
    for (const row of batch) {
      const outcome = await recordRow(db, readBlob, { ...row, content: new Uint8Array(row.content) }).catch((err: unknown) => {
        logFailure(row.digest, err);
        return 'not-an-image' as const;
      });
      if (outcome === 'recorded') recorded += 1;
    }
    if (batch.length < batchSize) return recorded;
    after = (batch.at(-1) as { id: number }).id;
  }
}

function logFailure(digest: string, err: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg: 'recording image layers failed', digest, error: err instanceof Error ? err.message : String(err) }));
}

/** Records image layers as manifests are pushed; `settled()` waits for what is in flight. */
export interface LayerRecorder {
  /**
   * Resolves once every recording started before the call (the backfill included) has ended,
   * or after `maxWaitMs` (default 5 s) — a long backfill must not hold up every answer.
   */
  settled(maxWaitMs?: number): Promise<void>;
  /** Stops listening to pushes. */
  stop(): void;
}

/**
 * Listens for `manifest.pushed` and records the layers of each image pushed, and backfills the
 * manifests pushed before (unless `backfill: false`). Failures are logged, never thrown.
 *
 * @example
 * const recorder = startLayerRecorder(db, registry.events, (d) => registry.blobs.read(d));
 * await recorder.settled(); // before answering from image_layers
 */
export function startLayerRecorder(db: Database, events: RegistryEvents, readBlob: ReadBlob, options: { backfill?: boolean } = {}): LayerRecorder {
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((err: unknown) => logFailure('(backfill)', err)).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  const stop = events.on((event) => {
    if (event.type !== 'manifest.pushed' || event.subject || !IMAGE_MANIFEST_TYPES.has(event.mediaType)) return;
    track(recordImageLayers(db, readBlob, event.repository, event.digest).catch((err: unknown) => logFailure(event.digest, err)));
  });
  if (options.backfill !== false) track(backfillImageLayers(db, readBlob));
  return {
    async settled(maxWaitMs = 5000) {
      if (pending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxWaitMs);
        timer.unref();
      });
      await Promise.race([Promise.all([...pending]), timeout]);
      clearTimeout(timer);
    },
    stop,
  };
}
