/**
 * Test support for image scans (not itself a test file): images built from hand-made layers
 * and pushed over HTTP, OSV records written straight into the vulnerability tables the way an
 * import indexes them, and waiting for a scan to finish.
 */
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { Database } from '../db/open.ts';
import { vulndbImports, vulnerabilities, vulnerabilityPackages } from '../db/schema.ts';
import { imageConfig } from '../../engine/image/config.ts';
import { imageManifest } from '../../engine/image/manifest.ts';
import type { HubClient } from '../client/client.ts';
import { pushImage } from '../client/push.ts';
import { rawTar, type RawEntry } from '../oci/testing-archives.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { vulnerabilityLookupKey } from './osv/lookup.ts';
import type { SeverityLevel } from './osv/severity.ts';
import type { ScanReport } from './results.ts';

const DPKG_STATUS = `Package: libfoo1
Status: install ok installed
Version: 1.2-3+b1
Source: foo (1.2-3)
Architecture: amd64

Package: bar
Status: install ok installed
Version: 2.0-1
Architecture: amd64
`;

/** A Debian 12 image: dpkg packages (one a binNMU), npm and Python packages; a later layer hides left-pad. */
export const DEBIAN_LAYERS: RawEntry[][] = [
  [
    { path: 'etc/os-release', type: '2', linkname: '../usr/lib/os-release' },
    { path: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
    { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
    { path: 'app/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.20"}' },
    { path: 'app/node_modules/left-pad/package.json', content: '{"name":"left-pad","version":"1.0.0"}' },
    { path: 'usr/lib/python3/dist-packages/Requests-2.0.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: Requests\nVersion: 2.0.0\n' },
  ],
  [{ path: 'app/node_modules/.wh.left-pad' }],
];

/** An Alpine 3.19 image: openssl's libcrypto3 and musl. */
export const ALPINE_LAYERS: RawEntry[][] = [
  [
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
    { path: 'lib/apk/db/installed', content: 'P:libcrypto3\nV:3.1.4-r1\no:openssl\n\nP:musl\nV:1.2.4-r2\no:musl\n\n' },
  ],
];

/** An Ubuntu 22.04 image with one dpkg package built from source `baz`. */
export const UBUNTU_LAYERS: RawEntry[][] = [
  [
    { path: 'etc/os-release', content: 'ID=ubuntu\nVERSION_ID="22.04"\n' },
    { path: 'var/lib/dpkg/status', content: 'Package: libbaz0\nStatus: install ok installed\nVersion: 1.0-1ubuntu1\nSource: baz\nArchitecture: amd64\n' },
  ],
];

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A pushed test image: its manifest digest and its layers' (compressed) digests, bottom first. */
export interface PushedImage {
  digest: string;
  size: number;
  layers: string[];
}

/**
 * Pushes an image whose layers hold `layers` (tar entries, each layer gzipped).
 *
 * @example
 * await pushLayers(client, 'team/app', 'v1', [[{ path: 'etc/os-release', content: 'ID=debian\n' }]]);
 */
export async function pushLayers(client: HubClient, repository: string, tag: string, layers: RawEntry[][], architecture = 'amd64'): Promise<PushedImage> {
  const blobs = layers.map((entries) => {
    const tar = rawTar(entries);
    const bytes = gzipSync(tar);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(bytes), size: bytes.length, bytes, diffId: sha256(tar) };
  });
  const config = imageConfig({ os: 'linux', architecture, diffIds: blobs.map((b) => b.diffId), created: 0 });
  const manifest = imageManifest({ config, layers: blobs, created: 0 });
  await pushImage(client, repository, tag, { config, layers: blobs, manifest });
  return { digest: manifest.digest, size: manifest.size, layers: blobs.map((b) => b.digest) };
}

/**
 * Pushes an OCI index of `images` (each with its platform) under `tag`; resolves to its digest.
 *
 * @example
 * await pushIndex(client, 'team/app', 'multi', [{ ...amd64, architecture: 'amd64' }]);
 */
export async function pushIndex(client: HubClient, repository: string, tag: string, images: { digest: string; size: number; architecture: string }[]): Promise<string> {
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map((image) => ({ mediaType: MediaType.OciManifest, digest: image.digest, size: image.size, platform: { os: 'linux', architecture: image.architecture } })),
    }),
  );
  const res = await client.v2('PUT', `/v2/${repository}/manifests/${tag}`, { headers: { 'Content-Type': MediaType.OciIndex }, body });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`pushing the index ${repository}:${tag} answered ${res.status}`);
  return sha256(body);
}

/** One affected package of a test record: the versions from `introduced` (or the first) below `fixed` (or every later one). */
export interface TestAffected {
  ecosystem: string;
  name: string;
  introduced?: string;
  fixed?: string;
}

/**
 * Writes an OSV record into `vulnerabilities` and indexes its packages in
 * `vulnerability_packages`, as an import would; a finished import row is added when none exists.
 *
 * @example
 * await insertRecord(db, 'GHSA-test', 'critical', [{ ecosystem: 'npm', name: 'lodash', fixed: '4.17.21' }]);
 */
export async function insertRecord(db: Database, id: string, severity: SeverityLevel, affected: TestAffected[], options: { withdrawn?: boolean; aliases?: string[] } = {}): Promise<void> {
  let [run] = await db.select({ id: vulndbImports.id }).from(vulndbImports).limit(1);
  if (!run) [run] = await db.insert(vulndbImports).values({ importedBy: 'test', finishedAt: new Date() }).returning({ id: vulndbImports.id });
  const modified = '2026-01-01T00:00:00Z';
  const record = {
    id,
    modified,
    aliases: options.aliases ?? [],
    summary: `${id} summary`,
    ...(options.withdrawn ? { withdrawn: modified } : {}),
    affected: affected.map((a) => ({
      package: { ecosystem: a.ecosystem, name: a.name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: a.introduced ?? '0' }, ...(a.fixed ? [{ fixed: a.fixed }] : [])] }],
    })),
  };
  await db.insert(vulnerabilities).values({
    id,
    modified: new Date(modified),
    withdrawn: options.withdrawn ? new Date(modified) : null,
    aliases: record.aliases,
    summary: record.summary,
    severity,
    score: null,
    record,
    importId: run!.id,
  });
  const keys = new Map(affected.map((a) => [`${a.ecosystem}\0${a.name}`, { ecosystem: a.ecosystem, ...vulnerabilityLookupKey(a.ecosystem, a.name) }]));
  await db.insert(vulnerabilityPackages).values([...keys.values()].map((k) => ({ vulnerabilityId: id, ecosystem: k.ecosystem, ecosystemBase: k.ecosystemBase, name: k.name })));
}

/**
 * Polls `read` until the report is no longer pending (or not yet scanned), for up to `timeoutMs`.
 *
 * @example
 * const report = await waitForScan(() => scans.report(digest));
 */
export async function waitForScan(read: () => Promise<ScanReport>, timeoutMs = 20_000): Promise<ScanReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await read();
    if (report.status === 'done' || report.status === 'failed') return report;
    if (Date.now() > deadline) throw new Error(`the scan of ${report.digest} is still ${report.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The records the sample images are matched against: in DEBIAN_LAYERS lodash (critical),
 * foo's libfoo1 (high) and Requests (medium) are affected; left-pad (hidden by a whiteout) and
 * the records about another release, a binary package name or a fixed version are not. In
 * ALPINE_LAYERS openssl (high); in UBUNTU_LAYERS baz (medium, as an `Ubuntu:22.04:LTS` record).
 *
 * @example
 * await insertSampleRecords(hub.scans.db);
 */
export async function insertSampleRecords(db: Database): Promise<void> {
  await insertRecord(db, 'DEBIAN-CVE-2099-0001', 'high', [{ ecosystem: 'Debian:12', name: 'foo', fixed: '1.2-4' }], { aliases: ['CVE-2099-0001'] });
  // Advisories name source packages: a record about the binary package's name matches nothing.
  await insertRecord(db, 'DEBIAN-CVE-2099-0002', 'critical', [{ ecosystem: 'Debian:12', name: 'libfoo1' }]);
  // Another release of Debian.
  await insertRecord(db, 'DEBIAN-CVE-2099-0003', 'critical', [{ ecosystem: 'Debian:11', name: 'foo' }]);
  // Fixed in the very version installed.
  await insertRecord(db, 'DEBIAN-CVE-2099-0004', 'low', [{ ecosystem: 'Debian:12', name: 'foo', fixed: '1.2-3' }]);
  await insertRecord(db, 'GHSA-lodash', 'critical', [{ ecosystem: 'npm', name: 'lodash', fixed: '4.17.21' }]);
  await insertRecord(db, 'GHSA-lodash-withdrawn', 'critical', [{ ecosystem: 'npm', name: 'lodash' }], { withdrawn: true });
  await insertRecord(db, 'GHSA-left-pad', 'critical', [{ ecosystem: 'npm', name: 'left-pad' }]);
  await insertRecord(db, 'PYSEC-2099-1', 'medium', [{ ecosystem: 'PyPI', name: 'requests', fixed: '2.31.0' }]);
  await insertRecord(db, 'ALPINE-CVE-2099-0005', 'high', [{ ecosystem: 'Alpine:v3.19', name: 'openssl', fixed: '3.1.4-r3' }]);
  await insertRecord(db, 'UBUNTU-CVE-2099-0006', 'medium', [{ ecosystem: 'Ubuntu:22.04:LTS', name: 'baz', fixed: '1.0-2' }]);
}
