import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { rawTar, type RawEntry } from '../oci/testing-archives.ts';
import type { Registry } from '../registry/registry.ts';
import { rowsOf } from './queue.ts';
import { createScanService } from './service.ts';
import { UBUNTU_LAYERS, waitForScan } from './testing.ts';
import type { ScannedImage } from './types.ts';

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function* bytes(data: Buffer): AsyncIterable<Uint8Array> {
  yield data;
}

/** Puts a one-layer image straight into the registry (which announces it as a push). */
async function putImage(registry: Registry, repository: string, entries: RawEntry[], level = 6): Promise<string> {
  const tar = rawTar(entries);
  const layer = gzipSync(tar, { level });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  for (const blob of [layer, config]) {
    const upload = await registry.uploads.start(repository);
    await registry.uploads.finish(repository, upload.id, sha256(blob), bytes(blob));
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const { digest } = await registry.manifests.put(repository, 'latest', manifest, MediaType.OciManifest);
  return digest;
}

describe('scan service lifecycle and hooks', () => {
  const backends = useTestBackends();

  it('merges the packages a hook adds, runs the scanned hook after storing, and survives failing hooks', async () => {
    const seen: ScannedImage[] = [];
    const scans = createScanService({
      db: backends().database.db,
      registry: backends().registry,
      hooks: {
        extraPackages: async (repository) => {
          if (repository === 'team/broken-hook') throw new Error('SBOM unreadable');
          return [{ type: 'golang', name: 'github.com/x/y', version: 'v1.2.3', path: 'sbom', purl: 'pkg:golang/github.com/x/y@v1.2.3', ecosystem: 'Go' }];
        },
        scanned: async (image) => {
          seen.push(image);
          if (image.repository === 'team/broken-hook') throw new Error('attaching failed');
        },
      },
    });
    scans.start();
    try {
      const withExtra = await putImage(backends().registry, 'team/hooked', UBUNTU_LAYERS[0]!);
      const report = await waitForScan(() => scans.report(withExtra));
      expect(report.packages.map((p) => p.name).sort()).toEqual(['github.com/x/y', 'libbaz0']);
      expect(seen.map((image) => image.digest)).toEqual([withExtra]);

      const broken = await putImage(backends().registry, 'team/broken-hook', [...UBUNTU_LAYERS[0]!, { path: 'other', content: '1' }]);
      const brokenReport = await waitForScan(() => scans.report(broken));
      expect(brokenReport.status).toBe('done');
      expect(brokenReport.packages.map((p) => p.name)).toEqual(['libbaz0']);
    } finally {
      await scans.close();
    }
  });

  it('hands back the job of a scan stopped by close, uncounted, and finishes it on the next start', async () => {
    const db = backends().database.db;
    const first = createScanService({ db, registry: backends().registry });
    first.start();
    // A large layer, stored uncompressed so that it is read chunk by chunk, keeps the scan busy long enough to be stopped.
    const big = await putImage(backends().registry, 'team/big', [...UBUNTU_LAYERS[0]!, { path: 'data/zeros', content: '\0'.repeat(128 * 1024 * 1024) }], 0);
    for (let i = 0; i < 100; i++) {
      const [job] = rowsOf<{ lease_until: unknown }>(await db.execute(sql`select lease_until from scan_jobs where digest = ${big}`));
      if (job?.lease_until) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await first.close();
    const [job] = rowsOf<{ lease_until: unknown; attempts: number }>(await db.execute(sql`select lease_until, attempts from scan_jobs where digest = ${big}`));
    expect(job).toEqual({ lease_until: null, attempts: 0 });
    expect((await first.report(big)).status).toBe('pending');

    const second = createScanService({ db, registry: backends().registry });
    second.start();
    try {
      const report = await waitForScan(() => second.report(big), 60_000);
      expect(report.packages.map((p) => p.name)).toEqual(['libbaz0']);
    } finally {
      await second.close();
    }
  }, 90_000);
});
