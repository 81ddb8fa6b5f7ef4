/** Platforms of images and index entries: how they are written, and the entries that are not images. */
import type { Descriptor } from './manifest.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `os/arch[/variant]` of an image config or an index entry's `platform`; undefined when either
 * os or architecture is missing.
 *
 * @example
 * platformOf({ os: 'linux', architecture: 'arm64', variant: 'v8' }); // 'linux/arm64/v8'
 */
export function platformOf(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const { os, architecture, variant } = value;
  if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture) return undefined;
  return typeof variant === 'string' && variant ? `${os}/${architecture}/${variant}` : `${os}/${architecture}`;
}

/**
 * An index entry for an attestation manifest (BuildKit lists them with platform
 * `unknown/unknown`): not an image of the index.
 *
 * @example
 * index.manifests.filter((child) => !isAttestationEntry(child));
 */
export function isAttestationEntry(entry: Pick<Descriptor, 'platform'>): boolean {
  return entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown';
}
