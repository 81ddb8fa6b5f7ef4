/**
 * `nocker inspect`: what an image on the Hub is — its manifest, runtime config and layers —
 * read through the Hub's API without downloading the layers.
 */
import { fetchBlobBytes, fetchManifest, resolveImage } from '../hub/client/pull.ts';
import { formatTable, printJson } from './admin/common.ts';
import { connect, manifestReference, platformOption } from './pull.ts';
import { findContainer } from './containers.ts';
import { type CommandIO, onePositional, parseCommandLine, processIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker inspect`. */
export const INSPECT_HELP = `Usage:
  nocker inspect CONTAINER
      Show a container made by "nocker run" (by name, id or id prefix) as JSON: its image,
      command, environment, restart policy, ports, state, pid, exit code, whether the kernel
      killed it for memory. A name without / or : is looked up among containers first.

  nocker inspect REF [--raw] [--json] [--platform OS/ARCH[/VARIANT]] [--hub HUB]
      Show an image on the Hub: its digest and media type, its runtime configuration
      (entrypoint, command, environment, working directory, user, ports, labels), its layers
      with their sizes and the total size. Only the manifest and the config are fetched.
      An index (multi-platform image) is resolved to one platform, default linux/amd64.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000.

  Options:
      --raw              print the manifest REF names exactly as the Hub serves it
      --json             print the summary as JSON
      --platform P       the platform to pick from an index (default linux/amd64)
      --hub HUB          the Hub, when REF does not name one

  Example:
      nocker inspect 127.0.0.1:5000/base/alpine:3.20
      nocker inspect web
`;

/** The image config members `inspect` shows. */
interface ImageConfigDocument {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
  };
}

/** What `inspect --json` prints. */
export interface ImageSummary {
  name: string;
  digest: string;
  mediaType: string;
  /** The index the image was picked from, when REF names one. */
  index?: string;
  platform: string;
  created?: string;
  config: {
    digest: string;
    entrypoint: string[];
    cmd: string[];
    env: string[];
    workingDir: string;
    user: string;
    ports: string[];
    labels: Record<string, string>;
  };
  layers: { digest: string; mediaType: string; size: number }[];
  /** Config and layers, in bytes: what a pull downloads. */
  size: number;
}

/**
 * Sizes as people read them, in powers of 1024.
 *
 * @example
 * humanSize(1536); // '1.5 KiB'
 */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function parseConfig(bytes: Uint8Array): ImageConfigDocument {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ImageConfigDocument) : {};
  } catch {
    return {};
  }
}

function printSummary(io: CommandIO, s: ImageSummary): void {
  const c = s.config;
  const list = (items: string[]) => (items.length === 0 ? '-' : JSON.stringify(items));
  const lines: [string, string][] = [
    ['Name', s.name],
    ['Digest', s.digest],
    ...(s.index ? ([['Index', s.index]] as [string, string][]) : []),
    ['Media type', s.mediaType],
    ['Platform', s.platform],
    ['Created', s.created ?? '-'],
    ['Entrypoint', list(c.entrypoint)],
    ['Cmd', list(c.cmd)],
    ['Working dir', c.workingDir || '-'],
    ['User', c.user || '-'],
    ['Ports', c.ports.length === 0 ? '-' : c.ports.join(', ')],
  ];
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  for (const [key, value] of lines) io.stdout.write(`${`${key}:`.padEnd(width)}${value}\n`);
  io.stdout.write(`Env:${c.env.length === 0 ? ' -' : ''}\n`);
  for (const variable of c.env) io.stdout.write(`  ${variable}\n`);
  const labels = Object.entries(c.labels);
  io.stdout.write(`Labels:${labels.length === 0 ? ' -' : ''}\n`);
  for (const [key, value] of labels) io.stdout.write(`  ${key}=${value}\n`);
  io.stdout.write('Layers:\n');
  const rows = s.layers.map((l) => [`  ${l.digest}`, humanSize(l.size), l.mediaType]);
  if (rows.length > 0) io.stdout.write(formatTable(['  DIGEST', 'SIZE', 'MEDIA TYPE'], rows));
  io.stdout.write(`Total size: ${humanSize(s.size)} (${s.size} bytes)\n`);
}

/** `nocker inspect REF [--raw] [--json] [--platform P] [--hub HUB]` */
export async function inspectCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      raw: { type: 'boolean' },
      json: { type: 'boolean' },
      platform: { type: 'string' },
      hub: { type: 'string' },
    },
    INSPECT_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'inspect', 'reference', 'inspect needs a reference: nocker inspect REF');
  if (values.raw && values.json) throw new UsageError('--raw and --json cannot be used together');
  const container = await findContainer(io, ref);
  if (container) {
    io.stdout.write(`${JSON.stringify(container, null, 2)}\n`);
    return 0;
  }
  const platform = platformOption(values.platform);
  const { client, reference, host } = await connect(io, ref, values.hub);

  if (values.raw) {
    const manifest = await fetchManifest(client, reference.repository, manifestReference(reference));
    io.stdout.write(Buffer.from(manifest.bytes).toString('utf8'));
    return 0;
  }
  const { manifest, index } = await resolveImage(client, reference.repository, manifestReference(reference), platform);
  const [configDescriptor] = manifest.parsed.blobs;
  if (!configDescriptor) throw new Error(`${ref} has no config`);
  // Every layer, foreign ones (kept elsewhere, at their urls) included: parsed.blobs leaves those out.
  const document = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: { digest: string; mediaType: string; size: number }[] };
  const layers = document.layers ?? [];
  const config = parseConfig(await fetchBlobBytes(client, reference.repository, configDescriptor));
  const runtime = config.config ?? {};
  const summary: ImageSummary = {
    name: `${host}/${reference.repository}${reference.tag !== undefined ? `:${reference.tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    ...(index ? { index: index.digest } : {}),
    platform: [config.os, config.architecture, config.variant].filter((p): p is string => typeof p === 'string' && p !== '').join('/') || '-',
    ...(config.created ? { created: config.created } : {}),
    config: {
      digest: configDescriptor.digest,
      entrypoint: runtime.Entrypoint ?? [],
      cmd: runtime.Cmd ?? [],
      env: runtime.Env ?? [],
      workingDir: runtime.WorkingDir ?? '',
      user: runtime.User ?? '',
      ports: Object.keys(runtime.ExposedPorts ?? {}).sort(),
      labels: runtime.Labels ?? {},
    },
    layers: layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
    size: [configDescriptor, ...layers].reduce((total, d) => total + d.size, 0),
  };
  if (values.json) return printJson(io, summary);
  printSummary(io, summary);
  return 0;
}
