/**
 * `nocker push`: an image from the local store (where `nocker build` and `nocker pull` keep
 * images) to the Hub its name says. Blobs the Hub has are skipped, the others streamed from
 * their files, then the manifest goes under the tag; an index goes after the manifests it lists.
 */
import { HubClient } from '../hub/client/client.ts';
import { pushImage, putManifest, type PushBlob, type TransferProgress } from '../hub/client/push.ts';
import { digestOf, parseDigest } from '../hub/oci/digest.ts';
import { parseManifest, type Descriptor, type ParsedManifest } from '../hub/oci/manifest.ts';
import { OciLayout, type LayoutDescriptor } from '../engine/image/layout.ts';
import { requireCredentials } from './docker-config.ts';
import { type CommandIO, commandOutput, failureText, onePositional, OUTPUT_OPTIONS, parseCommandLine, processIO } from './io.ts';
import { connect, imageStorePath, layoutName, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker push`. */
export const PUSH_HELP = `Usage:
  nocker push REF [--hub HUB] [-q] [--json]
      Push the image named REF in the local store to the Hub REF names, and print its digest.
      The local store, $NOCKER_DATA_HOME/images (default ~/.local/share/nocker/images), is where
      "nocker build" (without --push) and "nocker pull" keep images. Blobs the Hub has already
      are not sent again; the others are streamed from their files; then the manifest is put
      under REF's tag. An index is pushed after the manifests it lists.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. The tag defaults to latest. Log in first with
      "nocker login": pushing needs credentials.

  Options:
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object instead of the digest: name (the image in the
                         local store, HOST/NAME:TAG or HOST/NAME@DIGEST), digest, blobs (each
                         digest with outcome "pushed" or "exists")

  Example:
      nocker build -t 127.0.0.1:5000/team/app:v1
      nocker push 127.0.0.1:5000/team/app:v1
      nocker push -q --json team/app:v1 --hub 127.0.0.1:5000 | jq -r .digest
`;

/** A manifest as the local store holds it: its exact bytes and parsed form. */
interface StoredManifest {
  mediaType: string;
  digest: string;
  bytes: Uint8Array;
  parsed: ParsedManifest;
}

/** What to tell while pushing: each blob once the Hub has it, and the bytes of each upload. */
interface PushReport {
  onBlob: (digest: string, outcome: 'pushed' | 'exists') => void;
  onProgress: TransferProgress;
}

/** The descriptor `name` points at in the store; a clear error with a hint when there is none. */
async function findImage(layout: OciLayout, name: string, ref: string, digest: string | undefined): Promise<LayoutDescriptor> {
  const found = await layout.find(name);
  if (!found) throw new Error(`no image ${name} in the local store (${layout.dir}); build it with "nocker build -t ${ref}" or pull it with "nocker pull ${ref}" first`);
  if (digest !== undefined && found.digest !== digest) throw new Error(`${name} in the local store is ${found.digest}, not ${digest}`);
  return found;
}

/** Reads a manifest from the store, checking its bytes against its digest. */
async function readManifest(layout: OciLayout, descriptor: Descriptor | LayoutDescriptor): Promise<StoredManifest> {
  if (!(await layout.hasBlob(descriptor.digest))) throw new Error(`the local store lacks the manifest ${descriptor.digest}; pull or build the image again`);
  const bytes = await layout.readBlob(descriptor.digest);
  const actual = digestOf(bytes, parseDigest(descriptor.digest).algorithm);
  if (actual !== descriptor.digest) throw new Error(`the local store's manifest ${descriptor.digest} has the digest ${actual}; pull or build the image again`);
  const parsed = parseManifest(bytes, descriptor.mediaType);
  return { mediaType: parsed.mediaType, digest: descriptor.digest, bytes, parsed };
}

/** A blob of the store as pushBlob streams it: from its file, never whole in memory. */
async function storedBlob(layout: OciLayout, blob: Descriptor): Promise<PushBlob> {
  if (!(await layout.hasBlob(blob.digest))) throw new Error(`the local store lacks the blob ${blob.digest}; pull or build the image again`);
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size, path: layout.blobPath(blob.digest) };
}

/**
 * Pushes a stored manifest under `reference` with everything it references: an image's blobs
 * (all checked to be in the store before any is sent), or an index's manifests, each by digest.
 * Resolves to the digest the Hub reports.
 */
async function pushStored(client: HubClient, layout: OciLayout, repository: string, reference: string, manifest: StoredManifest, report: PushReport): Promise<string> {
  if (manifest.parsed.kind === 'index') {
    for (const child of manifest.parsed.manifests) await pushStored(client, layout, repository, child.digest, await readManifest(layout, child), report);
    return putManifest(client, repository, reference, manifest);
  }
  const [config, ...layers] = await Promise.all(manifest.parsed.blobs.map((blob) => storedBlob(layout, blob)));
  if (!config) throw new Error(`the local store's manifest ${manifest.digest} has no config`);
  const pushed = await pushImage(client, repository, reference, { config, layers, manifest }, { onBlob: (blob, outcome) => report.onBlob(blob.digest, outcome), onProgress: report.onProgress });
  return pushed.digest;
}

/** `nocker push REF [--hub HUB] [-q] [--json]` */
export async function pushCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { hub: { type: 'string' }, ...OUTPUT_OPTIONS }, PUSH_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'push', 'reference', 'push needs a reference: nocker push REF');
  const remote = await connect(io, ref, values.hub);
  const { reference } = remote;
  const name = layoutName(remote, false);

  const output = commandOutput(io, values);
  try {
    const layout = await OciLayout.open(imageStorePath(io.env));
    const manifest = await readManifest(layout, await findImage(layout, name, ref, reference.digest));
    const client = new HubClient({ url: remote.client.url, credentials: await requireCredentials(remote.client.url, { env: io.env }) });
    // Under REF's tag when it has one (a digest beside it was checked against the store).
    const target = reference.tag ?? manifestReference(reference);
    const digest = await pushStored(client, layout, reference.repository, target, manifest, {
      onBlob: (blob, outcome) => output.blob(blob, outcome, outcome === 'exists' ? 'already on the Hub' : outcome),
      onProgress: (blob, done, total) => output.report.transfer(blob, done, total),
    });
    output.report.line(`pushed ${name}`);
    output.result({ name, digest, blobs: output.blobs });
    return 0;
  } catch (err) {
    output.report.clear();
    if (err instanceof Error && !(err instanceof UsageError)) {
      io.stderr.write(failureText(err, io.env, 'push'));
      return 1;
    }
    throw err;
  }
}
