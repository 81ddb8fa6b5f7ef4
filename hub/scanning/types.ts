/**
 * What one image scan produced, as the scan pipeline hands it to whatever reacts to a finished
 * scan (the SBOM generator, the results store).
 */
import type { InstalledPackage, OsInfo } from './analysers/types.ts';

/**
 * An installed package as stored and reported: with its package URL, the OSV ecosystem it is
 * matched in (none for types OSV does not cover, or a distribution it does not know), and the
 * layer that last wrote the file it was found in.
 *
 * @example
 * const pkg: ScannedPackage = {
 *   type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3', sourceName: 'busybox', sourceVersion: '1:1.35.0-4',
 *   path: 'var/lib/dpkg/status', purl: 'pkg:deb/debian/busybox@1:1.35.0-4+b3?distro=debian-12&upstream=busybox%401%3A1.35.0-4',
 *   ecosystem: 'Debian:12', layer: 'sha256:…',
 * };
 */
export interface ScannedPackage extends InstalledPackage {
  purl: string;
  ecosystem?: string;
  layer?: string;
}

/**
 * One image manifest, scanned.
 *
 * @example
 * const image: ScannedImage = { repository: 'team/app', digest: 'sha256:…', mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', packages: [] };
 */
export interface ScannedImage {
  /** The repository it was read from (where its SBOMs are attached). */
  repository: string;
  /** The image manifest's digest. */
  digest: string;
  mediaType: string;
  /** `os/architecture[/variant]` from the image config. */
  platform?: string;
  /** The image config's `created`, when it has one. */
  created?: string;
  os?: OsInfo;
  packages: ScannedPackage[];
}
