/**
 * `nocker tag`: puts an image's manifest under another tag on the same Hub, in the same
 * repository or another one. Across repositories the blobs are mounted first (no bytes
 * travel); a Hub that declines a mount gets them copied through this machine instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { downloadBlob, fetchManifest, type FetchedManifest } from '../hub/client/pull.ts';
import { mountBlob as mountByDigest, pushBlob, putManifest, type TransferProgress } from '../hub/client/push.ts';
import type { Descriptor } from '../hub/oci/manifest.ts';
import { parseImageReference, type ImageReference } from '../engine/image/reference.ts';
import { requireCredentials } from './docker-config.ts';
import { commandOutput, hubUrlFrom, OUTPUT_OPTIONS, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker tag`. */
export const TAG_HELP = `Usage:
  nocker tag SOURCE TARGET [--hub HUB] [-q] [--json]
      Put the manifest SOURCE names under the tag TARGET names, on the same Hub, and print
      its digest. The manifest is not changed, so the digest stays the same. When TARGET is
      another repository, the blobs (and, for an index, the manifests it lists) are mounted
      there from SOURCE's repository first, each reported on stderr; a blob the Hub will not
      mount is copied through this machine, its bytes shown on a terminal as they go.

      SOURCE is [HOST:PORT/]NAME[:TAG][@DIGEST]; TARGET is [HOST:PORT/]NAME[:TAG] (tag default
      latest) on the same Hub. The Hub is the one they name, else --hub, else $NOCKER_HUB,
      else 127.0.0.1:5000. Log in first with "nocker login": tagging pushes to TARGET.

  Options:
      --hub HUB          the Hub, when the references do not name one
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object instead of the digest: name (the target,
                         HOST/NAME:TAG), digest, source (HOST/NAME[:TAG][@DIGEST]), blobs
                         (each digest with outcome "exists", "mounted" or "copied")

  Example:
      nocker tag 127.0.0.1:5000/team/app:build-42 127.0.0.1:5000/team/app:stable
      nocker tag team/app:v1 release/app:v1 --hub 127.0.0.1:5000
      nocker tag -q --json team/app:v1 team/app:stable | jq -r .digest
`;

/** How a blob came to be in the target repository. */
export type BlobOutcome = 'exists' | 'mounted' | 'copied';

/**
 * Makes `blob` available in `target`: nothing when it is there already, else a cross-repository
 * mount from `source`; when the Hub starts an upload instead of mounting, that upload is
 * cancelled and the blob is streamed through a temporary file (both ways told to `onProgress`).
 */
export async function mountBlob(client: HubClient, source: string, target: string, blob: Descriptor, onProgress?: TransferProgress): Promise<BlobOutcome> {
  const outcome = await mountByDigest(client, target, source, blob.digest);
  if (outcome !== 'declined') return outcome;
  const work = await mkdtemp(join(tmpdir(), 'nocker-tag-'));
  try {
    const path = join(work, 'blob');
    await downloadBlob(client, source, blob, path, undefined, onProgress);
    await pushBlob(client, target, { mediaType: blob.mediaType, digest: blob.digest, size: blob.size, path }, undefined, onProgress);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return 'copied';
}

/**
 * Makes everything `manifest` references available in `target`: its blobs, and for an index
 * the manifests it lists (each put by digest after its own blobs).
 */
async function copyReferenced(
  client: HubClient,
  source: string,
  target: string,
  manifest: FetchedManifest,
  onBlob: (digest: string, outcome: BlobOutcome) => void,
  onProgress?: TransferProgress,
): Promise<void> {
  for (const blob of manifest.parsed.blobs) onBlob(blob.digest, await mountBlob(client, source, target, blob, onProgress));
  for (const child of manifest.parsed.manifests) {
    const head = await client.v2('HEAD', `/v2/${target}/manifests/${child.digest}`);
    await head.body?.cancel();
    if (head.ok) continue;
    const fetched = await fetchManifest(client, source, child.digest);
    await copyReferenced(client, source, target, fetched, onBlob, onProgress);
    await putManifest(client, target, child.digest, fetched);
  }
}

function parseTarget(text: string): ImageReference {
  try {
    return parseImageReference(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `nocker tag SOURCE TARGET [--hub HUB] [-q] [--json]` */
export async function tagCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { hub: { type: 'string' }, ...OUTPUT_OPTIONS }, TAG_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [sourceText, targetText, ...extra] = positionals;
  if (sourceText === undefined || targetText === undefined) throw new UsageError('tag needs a source and a target: nocker tag SOURCE TARGET');
  if (extra.length > 0) throw new UsageError(`tag takes a source and a target, got also ${extra.join(' ')}`);
  const target = parseTarget(targetText);
  const { reference: source, client: anonymous } = await connect(io, sourceText, values.hub ?? target.hub);
  if (target.hub !== undefined && hubHost(hubUrlFrom(io, target.hub)) !== anonymous.host) {
    throw new UsageError(`the source is on ${anonymous.host} and the target on ${target.hub}: tag works within one Hub`);
  }
  const client = new HubClient({ url: anonymous.url, credentials: await requireCredentials(anonymous.url, { env: io.env }) });

  const output = commandOutput(io, values);
  try {
    const manifest = await fetchManifest(client, source.repository, manifestReference(source));
    if (target.repository !== source.repository) {
      await copyReferenced(
        client,
        source.repository,
        target.repository,
        manifest,
        (digest, outcome) => output.blob(digest, outcome, outcome === 'exists' ? 'already there' : outcome),
        (digest, done, total) => output.report.transfer(digest, done, total),
      );
    }
    output.result({
      name: `${client.host}/${target.repository}:${target.tag}`,
      digest: await putManifest(client, target.repository, target.tag, manifest),
      source: `${client.host}/${source.repository}${source.tag === undefined ? '' : `:${source.tag}`}${source.digest === undefined ? '' : `@${source.digest}`}`,
      blobs: output.blobs,
    });
    return 0;
  } finally {
    output.report.clear();
  }
}
