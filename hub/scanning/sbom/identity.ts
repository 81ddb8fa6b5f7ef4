/**
 * What makes the Hub's SBOMs reproducible: the same image with the same packages gives the same
 * bytes, so that scanning an unchanged image again pushes nothing new. Nothing here reads the
 * clock or a random source: dates come from the image, identifiers from hashes of the content.
 */
import { createHash } from 'node:crypto';
import type { ScannedImage, ScannedPackage } from '../types.ts';

/**
 * The image's `created` as `YYYY-MM-DDThh:mm:ssZ` (the form SPDX asks for, which CycloneDX
 * accepts too), or undefined when the image has none or an unreadable one.
 *
 * @example
 * imageCreated({ created: '2024-05-01T10:20:30.123456789Z' }); // '2024-05-01T10:20:30Z'
 */
export function imageCreated(image: Pick<ScannedImage, 'created'>): string | undefined {
  if (!image.created) return undefined;
  const time = Date.parse(image.created);
  if (Number.isNaN(time)) return undefined;
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The hex sha256 of the parts, each length-prefixed so that no two lists of parts collide.
 *
 * @example
 * contentHash(['sha256:…', document]); // '9f86d0…'
 */
export function contentHash(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part);
  return hash.digest('hex');
}

/**
 * A UUID in RFC 4122 form (version 5, name-based with SHA: a hash, not randomness) taken from the
 * first 32 hex digits of `hex`.
 *
 * @example
 * uuidFromHash('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'); // '9f86d081-884c-5d65-9a2f-eaa0c55ad015'
 */
export function uuidFromHash(hex: string): string {
  const digits = hex.slice(0, 32).split('');
  if (digits.length !== 32 || !/^[0-9a-f]{32}$/.test(hex.slice(0, 32))) throw new Error(`uuidFromHash needs 32 hex digits, not "${hex}"`);
  digits[12] = '5';
  // The variant: the two high bits of this digit are 10.
  digits[16] = ((Number.parseInt(digits[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const text = digits.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/**
 * The packages once per package URL, in purl order: a package found in several places (the same
 * npm module under two `node_modules`) is one component of an SBOM, with the licences of all.
 *
 * @example
 * uniquePackages(image.packages).map((p) => p.purl); // sorted, no repeats
 */
export function uniquePackages(packages: readonly ScannedPackage[]): ScannedPackage[] {
  const byPurl = new Map<string, ScannedPackage>();
  for (const pkg of packages) {
    const seen = byPurl.get(pkg.purl);
    if (!seen) {
      byPurl.set(pkg.purl, pkg);
      continue;
    }
    const licenses = [...new Set([...(seen.licenses ?? []), ...(pkg.licenses ?? [])])];
    // The first path in byte order, so that the order packages arrive in does not matter.
    byPurl.set(pkg.purl, { ...(pkg.path < seen.path ? pkg : seen), ...(licenses.length > 0 ? { licenses } : {}) });
  }
  return [...byPurl.values()].sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0)).map((pkg) => ({
    ...pkg,
    ...(pkg.licenses ? { licenses: [...pkg.licenses].sort() } : {}),
  }));
}
