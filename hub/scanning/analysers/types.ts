/**
 * The shapes shared by the image scanner and its analysers. An analyser is a pure function over
 * file contents: the scanner has already streamed the layers, kept the files the analyser
 * `wants`, and applied whiteouts, so paths here are those of the final image root.
 */

/**
 * The package ecosystems the analysers report, named as their package URL types.
 *
 * @example
 * const type: PackageType = 'deb';
 */
export type PackageType = 'deb' | 'apk' | 'npm' | 'pypi' | 'gem' | 'cargo' | 'golang' | 'maven';

/**
 * One package found installed in an image.
 *
 * @example
 * const busybox: InstalledPackage = {
 *   type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3',
 *   sourceName: 'busybox', sourceVersion: '1:1.35.0-4', arch: 'amd64',
 *   path: 'var/lib/dpkg/status',
 * };
 */
export interface InstalledPackage {
  type: PackageType;
  /** The package's name; for `golang` the module path, for `maven` `groupId:artifactId`. */
  name: string;
  version: string;
  /** The source package it was built from, where the ecosystem has one (deb, apk). */
  sourceName?: string;
  sourceVersion?: string;
  arch?: string;
  /** The file it was found in, relative to the image root. */
  path: string;
  licenses?: string[];
}

/**
 * The distribution an image is built on, from its os-release file.
 *
 * @example
 * const bookworm: OsInfo = { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
 */
export interface OsInfo {
  /** `ID`, lowercase, e.g. `debian`, `alpine`; `linux` when the file names none. */
  id: string;
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
}

/**
 * Lists the packages of one ecosystem from the files it asked for.
 *
 * @example
 * const kept = new Map([...layerFiles].filter(([path]) => analyser.wants(path)));
 * const packages = analyser.analyse(kept, os);
 */
export interface Analyser {
  name: string;
  /** Whether the scanner should keep the file at `path` (relative to the image root, no leading slash). */
  wants(path: string): boolean;
  /** The packages recorded in `files`; files it does not want are ignored. */
  analyse(files: ReadonlyMap<string, Buffer>, os?: OsInfo): InstalledPackage[];
}
