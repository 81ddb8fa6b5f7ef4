/**
 * `nocker sbom`: the software bill of materials of an image on the Hub — the one the Hub made
 * when it scanned the image, else one attached by its build — printed or saved as stored.
 */
import { writeFile } from 'node:fs/promises';
import { resolveImage } from '../hub/client/pull.ts';
import { fetchSbom } from '../hub/client/sbom.ts';
import type { SbomFormat } from '../hub/scanning/sbom/media-types.ts';
import { connect, manifestReference, platformOption } from './pull.ts';
import { type CommandIO, onePositional, parseCommandLine, processIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker sbom`. */
export const SBOM_HELP = `Usage:
  nocker sbom REF [--format cyclonedx|spdx] [--output FILE] [--platform OS/ARCH[/VARIANT]] [--hub HUB]
      Print the SBOM (software bill of materials) of an image on the Hub: the CycloneDX 1.6 or
      SPDX 2.3 JSON document attached to it as a referrer. The Hub makes both when it scans an
      image; an SBOM attached by the image's build is shown when the Hub has made none. An index
      (multi-platform image) is resolved to one platform, default linux/amd64.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000.

  Options:
      --format F         cyclonedx (default) or spdx
      -o, --output FILE  write the document to FILE instead of printing it
      --platform P       the platform to pick from an index (default linux/amd64)
      --hub HUB          the Hub, when REF does not name one

  Example:
      nocker sbom 127.0.0.1:5000/team/app:v1 | jq '.components[].purl'
      nocker sbom team/app:v1 --format spdx -o app.spdx.json
`;

function formatOption(text: string | undefined): SbomFormat {
  const format = text ?? 'cyclonedx';
  if (format !== 'cyclonedx' && format !== 'spdx') throw new UsageError(`--format is cyclonedx or spdx, not "${format}"`);
  return format;
}

/** `nocker sbom REF [--format cyclonedx|spdx] [--output FILE] [--platform P] [--hub HUB]` */
export async function sbomCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      platform: { type: 'string' },
      hub: { type: 'string' },
    },
    SBOM_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'sbom', 'reference', 'sbom needs a reference: nocker sbom REF');
  const format = formatOption(values.format);
  const platform = platformOption(values.platform);
  const { client, reference } = await connect(io, ref, values.hub);
  const { manifest } = await resolveImage(client, reference.repository, manifestReference(reference), platform);
  const sbom = await fetchSbom(client, reference.repository, manifest.digest, format);
  if (!sbom) {
    io.stderr.write(`nocker: no ${format} SBOM for ${ref} yet: the Hub makes one when it has scanned the image (see nocker scan ${ref})\n`);
    return 1;
  }
  const text = Buffer.from(sbom.document).toString('utf8');
  if (values.output !== undefined) {
    await writeFile(values.output, sbom.document);
    return 0;
  }
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}
