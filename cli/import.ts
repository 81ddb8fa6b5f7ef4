/**
 * `nocker import`: a root filesystem tarball pushed to the Hub as a one-layer image, as
 * `docker import` does, but reproducibly.
 */
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { pushImage } from '../hub/client/push.ts';
import { importRootfs, parsePlatform, type Platform } from '../engine/build/import.ts';
import { parseImageReference, type ImageReference } from '../engine/image/reference.ts';
import { sourceDateEpoch } from '../engine/image/time.ts';
import { requireCredentials } from './docker-config.ts';
import { commandOutput, hubUrlFrom, OUTPUT_OPTIONS, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { platformText } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker import`. */
export const IMPORT_HELP = `Usage:
  nocker import ROOTFS.tar[.gz] REF [--hub HUB] [--platform OS/ARCH[/VARIANT]] [-m MESSAGE] [-q] [--json]
      Push a root filesystem tarball (plain or gzipped) to the Hub as an image of one layer,
      as docker import does. The layer is rebuilt reproducibly: entries sorted, owners and
      modes, symlinks and hard links kept, timestamps clamped to $SOURCE_DATE_EPOCH (default
      0, which also dates the image); device nodes and FIFOs are left out with a note. The
      same tarball content always gives the same digest, which is printed. Each blob is
      reported on stderr once it is on the Hub; on a terminal the bytes of the upload under way
      are shown too, redrawn in place.

      REF is HOST:PORT/NAME[:TAG], or NAME[:TAG] on the Hub given by --hub, else $NOCKER_HUB,
      else 127.0.0.1:5000. The tag defaults to latest. Log in first with "nocker login".

  Options:
      --hub HUB          the Hub, when REF does not name one
      --platform P       the image's platform (default linux/amd64)
      -m, --message MSG  a comment for the image's history
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object instead of the digest: name (HOST/NAME:TAG),
                         digest, platform, layer (digest and size), config (its digest),
                         notes (entries left out), blobs (each digest with outcome "pushed"
                         or "exists")

  Example:
      nocker login 127.0.0.1:5000 -u admin --password-stdin < secret
      SOURCE_DATE_EPOCH=1700000000 nocker import alpine-minirootfs.tar.gz 127.0.0.1:5000/base/alpine:3.20
      nocker import -q --json rootfs.tar 127.0.0.1:5000/base/os:1 | jq -r .layer.digest
`;

function hubFor(io: CommandIO, reference: ImageReference, flag: string | undefined): string {
  if (reference.hub && flag !== undefined) {
    const fromFlag = hubUrlFrom(io, flag);
    if (hubHost(fromFlag) !== hubHost(hubUrlFrom(io, reference.hub))) throw new UsageError(`the reference names the Hub ${reference.hub} and --hub names ${flag}`);
    return fromFlag;
  }
  return hubUrlFrom(io, reference.hub ?? flag);
}

/** `nocker import ROOTFS.tar[.gz] REF [--hub HUB] [--platform P] [-m MESSAGE] [-q] [--json]` */
export async function importCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      hub: { type: 'string' },
      platform: { type: 'string' },
      message: { type: 'string', short: 'm' },
      ...OUTPUT_OPTIONS,
    },
    IMPORT_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [tarball, ref, ...extra] = positionals;
  if (tarball === undefined || ref === undefined) throw new UsageError('import needs a tarball and a reference: nocker import ROOTFS.tar REF');
  if (extra.length > 0) throw new UsageError(`import takes a tarball and a reference, got also ${extra.join(' ')}`);
  let reference: ImageReference;
  let platform: Platform;
  let epoch: number;
  try {
    reference = parseImageReference(ref);
    platform = parsePlatform(values.platform ?? 'linux/amd64');
    epoch = sourceDateEpoch(io.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const url = hubFor(io, reference, values.hub);
  const credentials = await requireCredentials(url, { env: io.env });

  const output = commandOutput(io, values);
  output.report.status(`reading ${tarball}…`);
  try {
    const image = await importRootfs(tarball, { platform, sourceDateEpoch: epoch, message: values.message });
    try {
      for (const note of image.notes) output.report.line(`note: ${note}`);
      const client = new HubClient({ url, credentials });
      const { digest } = await pushImage(client, reference.repository, reference.tag, { config: image.config, layers: [image.layer], manifest: image.manifest }, {
        onBlob: (blob, outcome) => output.blob(blob.digest, outcome, outcome === 'pushed' ? 'pushed' : 'already on the Hub'),
        onProgress: (blob, done, total) => output.report.transfer(blob, done, total),
      });
      output.result({
        name: `${hubHost(url)}/${reference.repository}:${reference.tag}`,
        digest,
        platform: platformText(platform),
        layer: { digest: image.layer.digest, size: image.layer.size },
        config: image.config.digest,
        notes: image.notes,
        blobs: output.blobs,
      });
      return 0;
    } finally {
      await image.dispose();
    }
  } finally {
    output.report.clear();
  }
}
