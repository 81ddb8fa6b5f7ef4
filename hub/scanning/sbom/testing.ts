/**
 * Helpers for the SBOM tests (not itself a test file): a scanned image to describe, and a Hub
 * served over HTTP whose registry the test also holds, so that SBOMs attached through the
 * registry's services can be read back through the distribution API.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createTestEnvironment, TEST_ADMIN } from '../../../conformance/harness.ts';
import { createApp } from '../../app.ts';
import { HubClient } from '../../client/client.ts';
import type { Database } from '../../db/open.ts';
import { HubMetrics } from '../../metrics.ts';
import type { Registry } from '../../registry/registry.ts';
import { openBackends } from '../../server.ts';
import type { ScannedImage } from '../types.ts';

const digest = 'sha256:0d3d6a7b5c1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291817161514131211';

/**
 * A small Debian image with one npm module found twice, and one with a licence that is no SPDX ID.
 *
 * @example
 * const json = await cycloneDxDocument({ ...sampleImage, digest: pushed.digest });
 */
export const sampleImage: ScannedImage = {
  repository: 'team/app',
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  platform: 'linux/amd64',
  created: '2024-05-01T10:20:30.123456789Z',
  os: { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  packages: [
    {
      type: 'deb',
      name: 'busybox',
      version: '1:1.35.0-4+b3',
      sourceName: 'busybox',
      sourceVersion: '1:1.35.0-4',
      arch: 'amd64',
      path: 'var/lib/dpkg/status',
      purl: 'pkg:deb/debian/busybox@1:1.35.0-4+b3?arch=amd64&distro=debian-12&upstream=busybox%401%3A1.35.0-4',
      ecosystem: 'Debian:12',
    },
    { type: 'npm', name: 'left-pad', version: '1.3.0', path: 'app/node_modules/left-pad/package.json', purl: 'pkg:npm/left-pad@1.3.0', licenses: ['WTFPL'], ecosystem: 'npm' },
    { type: 'npm', name: 'left-pad', version: '1.3.0', path: 'app/b/node_modules/left-pad/package.json', purl: 'pkg:npm/left-pad@1.3.0', licenses: ['mit'], ecosystem: 'npm' },
    { type: 'npm', name: '@scope/odd', version: '2.0.0', path: 'app/node_modules/@scope/odd/package.json', purl: 'pkg:npm/%40scope/odd@2.0.0', licenses: ['SEE LICENSE IN LICENSE.md'] },
  ],
};


/**
 * A Hub for SBOM tests: its address, and its registry and database as the Hub's features see them.
 *
 * @example
 * const hub: SbomTestHub = await startSbomTestHub();
 * await attachSboms(hub.registry, image);
 * await hub.destroy();
 */
export interface SbomTestHub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as image references name the Hub. */
  host: string;
  registry: Registry;
  db: Database;
  /** A new client with the admin's credentials. */
  admin(): HubClient;
  destroy(): Promise<void>;
}

/**
 * Starts a Hub on fresh test backends (those `createTestEnvironment` picks) on a free loopback
 * port, keeping hold of its registry: `startTestHub` hides it, and the SBOM functions take one.
 *
 * @example
 * const hub = await startSbomTestHub();
 * const image = await pushSampleImage(hub.admin(), 'team/app', 'v1');
 */
export async function startSbomTestHub(): Promise<SbomTestHub> {
  const environment = await createTestEnvironment();
  const backends = await openBackends(environment.config);
  await backends.access.bootstrap({ quiet: true });
  const app = createApp({
    config: environment.config,
    registry: backends.registry,
    db: backends.database.db,
    access: backends.access,
    policies: backends.access.policies,
    metrics: new HubMetrics(),
    ready: async () => undefined,
    quiet: true,
  });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve({ server, port: info.port }));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    host: `127.0.0.1:${port}`,
    registry: backends.registry,
    db: backends.database.db,
    admin: () => new HubClient({ url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } }),
    async destroy() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await backends.close();
      await environment.dispose();
    },
  };
}
