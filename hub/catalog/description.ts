/**
 * A repository's description, for its page: the `org.opencontainers.image.description` of its
 * latest tag (the manifest's annotation, else the image config's label of that name), else the
 * text of a README pushed into it as a `text/markdown` artifact. Both are untrusted text.
 */
import { and, desc, eq, or, sql } from 'drizzle-orm';
import type { RepositoryDescription } from '../client/catalog.ts';
import type { Database } from '../db/open.ts';
import { manifests } from '../db/schema.ts';
import { parseManifest, type ParsedManifest } from '../oci/manifest.ts';
import { isAttestationEntry } from '../oci/platform.ts';
import { readAtMost } from '../oci/read-at-most.ts';
import type { Registry } from '../registry/registry.ts';

export const DESCRIPTION_ANNOTATION = 'org.opencontainers.image.description';
export const MARKDOWN_TYPE = 'text/markdown';
/** The most text a description carries (bytes of UTF-8). */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;
/** Image configs are small; a larger one is not read for its label. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** README candidates looked at, newest first. */
const README_CANDIDATES = 20;

/** At most {@link MAX_DESCRIPTION_BYTES} of `bytes` as text; a cut text ends with a line saying so. */
function boundedText(bytes: Uint8Array, totalBytes: number): string {
  if (totalBytes <= MAX_DESCRIPTION_BYTES && bytes.byteLength <= MAX_DESCRIPTION_BYTES) return new TextDecoder().decode(bytes);
  const note = `\n\n… (truncated: the text is ${totalBytes} bytes, only the first ${MAX_DESCRIPTION_BYTES - 200} are shown)`;
  // The cut may split a character: the decoder's replacement for its first half is dropped.
  const kept = new TextDecoder().decode(bytes.subarray(0, MAX_DESCRIPTION_BYTES - 200)).replace(/\uFFFD$/, '');
  return `${kept}${note}`;
}

/** The image config's `config.Labels[name]`, when the config is small enough to read. */
async function configLabel(registry: Registry, parsed: ParsedManifest, name: string): Promise<string | undefined> {
  const config = parsed.kind === 'image' ? parsed.blobs[0] : undefined;
  if (!config || config.size > MAX_CONFIG_BYTES) return undefined;
  try {
    const bytes = await readAtMost(await registry.blobs.read(config.digest), MAX_CONFIG_BYTES);
    if (!bytes) return undefined;
    const document = JSON.parse(bytes.toString('utf8')) as { config?: { Labels?: Record<string, unknown> } };
    const label = document.config?.Labels?.[name];
    return typeof label === 'string' && label.trim() ? label : undefined;
  } catch {
    return undefined;
  }
}

async function storedManifest(db: Database, repositoryId: number, digest: string): Promise<ParsedManifest | undefined> {
  const [row] = await db
    .select({ content: manifests.content, mediaType: manifests.mediaType })
    .from(manifests)
    .where(and(eq(manifests.repositoryId, repositoryId), eq(manifests.digest, digest)));
  if (!row) return undefined;
  try {
    return parseManifest(new Uint8Array(row.content), row.mediaType);
  } catch {
    return undefined;
  }
}

/** The description annotation or label of a manifest; for an index, else of its first image. */
async function annotated(db: Database, registry: Registry, repositoryId: number, digest: string): Promise<string | undefined> {
  const parsed = await storedManifest(db, repositoryId, digest);
  if (!parsed) return undefined;
  const own = parsed.annotations?.[DESCRIPTION_ANNOTATION];
  if (own?.trim()) return own;
  if (parsed.kind === 'image') return configLabel(registry, parsed, DESCRIPTION_ANNOTATION);
  const first = parsed.manifests.find((child) => !isAttestationEntry(child));
  return first ? annotated(db, registry, repositoryId, first.digest).catch(() => undefined) : undefined;
}

/** Reads up to `limit` bytes of a blob, and stops there. */
async function readHead(chunks: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const kept: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    kept.push(chunk);
    total += chunk.byteLength;
    if (total >= limit) break;
  }
  return Buffer.concat(kept, total).subarray(0, limit);
}

/**
 * The newest README artifact of the repository: artifactType `text/markdown`, or a single layer
 * of that media type (`oras push … README.md:text/markdown`). Candidates are found in the
 * database (the media type appears in the manifest's bytes), then checked parsed.
 */
async function readme(db: Database, registry: Registry, repository: string, repositoryId: number): Promise<string | undefined> {
  const needle = Buffer.from(`"${MARKDOWN_TYPE}"`).toString('hex');
  const candidates = await db
    .select({ content: manifests.content, mediaType: manifests.mediaType, artifactType: manifests.artifactType })
    .from(manifests)
    .where(and(eq(manifests.repositoryId, repositoryId), or(eq(manifests.artifactType, MARKDOWN_TYPE), sql`position(decode(${needle}, 'hex') in ${manifests.content}) > 0`)))
    .orderBy(desc(manifests.createdAt), desc(manifests.id))
    .limit(README_CANDIDATES);
  for (const candidate of candidates) {
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(new Uint8Array(candidate.content), candidate.mediaType);
    } catch {
      continue;
    }
    if (parsed.kind !== 'image') continue;
    const layers = parsed.blobs.slice(1);
    const isReadme = candidate.artifactType === MARKDOWN_TYPE ? layers.length > 0 : layers.length === 1 && layers[0]?.mediaType === MARKDOWN_TYPE;
    const layer = layers[0];
    if (!isReadme || !layer) continue;
    const { size } = await registry.blobs.stat(repository, layer.digest);
    const head = await readHead(await registry.blobs.read(layer.digest), MAX_DESCRIPTION_BYTES + 1);
    return boundedText(head, size);
  }
  return undefined;
}

/**
 * The description of repository `repository` (row id `repositoryId`) whose latest tag points at
 * `latestDigest` (none: a repository without tags), or null.
 *
 * @example
 * const description = await describeRepository(db, registry, 'team/app', 3, 'sha256:…');
 */
export async function describeRepository(
  db: Database,
  registry: Registry,
  repository: string,
  repositoryId: number,
  latestDigest: string | undefined,
): Promise<RepositoryDescription | null> {
  const annotation = latestDigest ? await annotated(db, registry, repositoryId, latestDigest) : undefined;
  if (annotation !== undefined) {
    const bytes = new TextEncoder().encode(annotation);
    return { source: 'annotation', format: 'text', text: boundedText(bytes, bytes.byteLength) };
  }
  const text = await readme(db, registry, repository, repositoryId);
  return text === undefined ? null : { source: 'readme', format: 'markdown', text };
}
