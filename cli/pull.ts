/**
 * `nocker pull`: an image from the Hub into an OCI image layout — the local store, or a
 * directory given with `--output` that skopeo, podman and others read as `oci:DIR:TAG`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import type { TransferProgress } from '../hub/client/push.ts';
import { downloadBlob, parseRemoteReference, resolveImage, type PlatformSpec, type RemoteReference } from '../hub/client/pull.ts';
import { parsePlatform } from '../engine/build/import.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { credentialsFor } from './docker-config.ts';
import { type CommandIO, commandOutput, hubUrlFrom, onePositional, OUTPUT_OPTIONS, parseCommandLine, processIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker pull`. */
export const PULL_HELP = `Usage:
  nocker pull REF [--output DIR] [--platform OS/ARCH[/VARIANT]] [--hub HUB] [-q] [--json]
      Download an image from the Hub into an OCI image layout and print its digest. Every blob
      is checked against its digest as it arrives; blobs the layout already holds are not
      downloaded again. An index (multi-platform image) is resolved to one platform. Each blob
      is reported on stderr once it is there; on a terminal the bytes of the blob under way are
      shown too, redrawn in place.

      Without --output the image goes to the local store, $NOCKER_DATA_HOME/images (default
      ~/.local/share/nocker/images), named HOST/NAME:TAG. With --output DIR it is named TAG
      there, so that other tools read it as oci:DIR:TAG.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. The tag defaults to latest. Credentials saved by
      "nocker login" are used when there are some.

  Options:
      -o, --output DIR   write the image layout here instead of the local store
      --platform P       the platform to pick from an index (default linux/amd64)
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object instead of the digest: name (the reference
                         pulled), digest (REF's, an index's when it is one), manifest (the
                         image manifest's), platform, layout (the directory, absolute) and
                         layoutName (the image's name in it), blobs (each digest with outcome
                         "downloaded" or "present")

  Example:
      nocker pull 127.0.0.1:5000/base/alpine:3.20 --output alpine && skopeo inspect oci:alpine:3.20
      nocker pull -q --json 127.0.0.1:5000/base/alpine:3.20 | jq -r .manifest
`;

/** A reference with the client for its Hub. */
export interface Remote {
  reference: RemoteReference;
  client: HubClient;
  /** The Hub's `host:port`. */
  host: string;
}

/**
 * Parses REF and connects to its Hub: the one REF names, else `--hub`, else `$NOCKER_HUB`, else
 * the default; with saved credentials when there are some, else anonymously. A reference and
 * `--hub` naming different Hubs is a usage error. `environment` is sent with every request, so
 * that the Hub applies that environment's trust policy (production when not given).
 */
export async function connect(io: CommandIO, ref: string, hubFlag: string | undefined, environment?: string): Promise<Remote> {
  let reference: RemoteReference;
  try {
    reference = parseRemoteReference(ref);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let url: string;
  if (reference.hub && hubFlag !== undefined) {
    url = hubUrlFrom(io, hubFlag);
    if (hubHost(url) !== hubHost(hubUrlFrom(io, reference.hub))) throw new UsageError(`the reference names the Hub ${reference.hub} and --hub names ${hubFlag}`);
  } else {
    url = hubUrlFrom(io, reference.hub ?? hubFlag);
  }
  const credentials = await credentialsFor(url, { env: io.env });
  const client = new HubClient({ url, ...(credentials ? { credentials } : {}), ...(environment ? { environment } : {}) });
  return { reference, client, host: client.host };
}

/** The tag or digest to ask the Hub for: the digest when there is one. */
export function manifestReference(reference: RemoteReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}

/** Reads `--platform`, default linux/amd64. */
export function platformOption(text: string | undefined): PlatformSpec {
  try {
    return parsePlatform(text ?? 'linux/amd64');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Where nocker keeps its local data: `$NOCKER_DATA_HOME`, else `~/.local/share/nocker`. */
export function dataHomePath(env: Record<string, string | undefined>): string {
  if (env.NOCKER_DATA_HOME?.trim()) return env.NOCKER_DATA_HOME;
  return join(env.HOME?.trim() ? env.HOME : homedir(), '.local', 'share', 'nocker');
}

/** The local image store: `images/` in the data home. */
export function imageStorePath(env: Record<string, string | undefined>): string {
  return join(dataHomePath(env), 'images');
}

/** What {@link pullToLayout} did. */
export interface PulledImage {
  /** The digest REF resolved to (an index's, when it is one). */
  digest: string;
  /** The image manifest written to the layout. */
  manifestDigest: string;
  refName: string;
}

/**
 * Pulls the image `remote` names into `layout` under `refName`: blobs first (each streamed to a
 * temporary file and renamed into place once verified), then the manifest, then the name.
 */
export async function pullToLayout(
  remote: Remote,
  layout: OciLayout,
  refName: string,
  platform: PlatformSpec,
  onBlob?: (digest: string, outcome: 'downloaded' | 'present') => void,
  onProgress?: TransferProgress,
): Promise<PulledImage> {
  const { client, reference } = remote;
  const { manifest, index } = await resolveImage(client, reference.repository, manifestReference(reference), platform);
  for (const blob of manifest.parsed.blobs) {
    const added = await layout.addBlob(blob.digest, (temp) => downloadBlob(client, reference.repository, blob, temp, undefined, onProgress));
    onBlob?.(blob.digest, added ? 'downloaded' : 'present');
  }
  await layout.writeBlob(manifest.digest, manifest.bytes);
  const descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
  const entry = index?.parsed.manifests.find((m) => m.digest === manifest.digest);
  await layout.tag(entry?.platform ? { ...descriptor, platform: entry.platform } : descriptor, refName);
  return { digest: index?.digest ?? manifest.digest, manifestDigest: manifest.digest, refName };
}

/** `nocker pull REF [--output DIR] [--platform P] [--hub HUB] [-q] [--json]` */
export async function pullCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      output: { type: 'string', short: 'o' },
      platform: { type: 'string' },
      hub: { type: 'string' },
      ...OUTPUT_OPTIONS,
    },
    PULL_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'pull', 'reference', 'pull needs a reference: nocker pull REF');
  if (values.output === '') throw new UsageError('--output needs a directory');
  const platform = platformOption(values.platform);
  const remote = await connect(io, ref, values.hub);
  const { reference } = remote;
  const directory = values.output ?? imageStorePath(io.env);
  const layout = await OciLayout.open(directory);
  const output = commandOutput(io, values);
  try {
    const pulled = await pullToLayout(
      remote,
      layout,
      layoutName(remote, values.output !== undefined),
      platform,
      (digest, outcome) => output.blob(digest, outcome, outcome === 'downloaded' ? 'downloaded' : 'already present'),
      (digest, done, total) => output.report.transfer(digest, done, total),
    );
    if (pulled.manifestDigest !== pulled.digest) output.report.line(`${platformText(platform)}: ${pulled.manifestDigest}`);
    output.result({
      name: layoutName(remote, false),
      digest: pulled.digest,
      manifest: pulled.manifestDigest,
      platform: platformText(platform),
      layout: resolve(directory),
      layoutName: pulled.refName,
      blobs: output.blobs,
    });
    return 0;
  } finally {
    output.report.clear();
  }
}

/**
 * The image's name in a layout: in a directory of its own the tag (else the digest), as
 * `oci:DIR:TAG` expects; in the shared store `HOST/NAME:TAG` (else `HOST/NAME@DIGEST`).
 */
export function layoutName(remote: Remote, ownDirectory: boolean): string {
  const { tag, digest, repository } = remote.reference;
  if (ownDirectory) return tag ?? digest ?? 'latest';
  return tag !== undefined ? `${remote.host}/${repository}:${tag}` : `${remote.host}/${repository}@${digest ?? ''}`;
}

/** `os/architecture[/variant]`. */
export function platformText(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
