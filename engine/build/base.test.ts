import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HubClient } from '../../hub/client/client.ts';
import { resolveBase } from './base.ts';
import { mountLayer } from './build.ts';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** A Hub answering from a table of paths, recording what was asked. */
function fakeHub(routes: Record<string, { status?: number; body?: string; type?: string; location?: string }>): { client: HubClient; asked: string[] } {
  const asked: string[] = [];
  const fake: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    asked.push(`${key}${url.search}`);
    const route = routes[key];
    if (!route) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}', { status: 404, headers: { 'Content-Type': 'application/json' } });
    const headers: Record<string, string> = { 'Content-Type': route.type ?? 'application/octet-stream' };
    if (route.location) headers.Location = route.location;
    return new Response(route.body ?? null, { status: route.status ?? 200, headers });
  };
  return { client: new HubClient({ url: '127.0.0.1:5999', fetch: fake }), asked };
}

const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:d1'] }, config: { Env: ['PATH=/bin'] } });
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'1'.repeat(64)}`, size: 10 };
const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [layer] });
const index = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
  ],
});

describe('resolveBase', () => {
  it('follows an index to its linux/amd64 image and fetches only manifests and the config', async () => {
    const { client, asked } = fakeHub({
      'GET /v2/lib/os/manifests/1': { body: index, type: 'application/vnd.oci.image.index.v1+json' },
      [`GET /v2/lib/os/manifests/${sha256(manifest)}`]: { body: manifest, type: 'application/vnd.oci.image.manifest.v1+json' },
      [`GET /v2/lib/os/blobs/${sha256(config)}`]: { body: config },
    });
    const base = await resolveBase(client, 'lib/os', '1');
    expect(base).toMatchObject({ name: '127.0.0.1:5999/lib/os:1', digest: sha256(manifest), layers: [layer], config: { config: { Env: ['PATH=/bin'] } } });
    expect(asked).not.toContain(`GET /v2/lib/os/blobs/${layer.digest}`);
  });

  it('says when the base is unknown or its manifest is not what was asked', async () => {
    const { client } = fakeHub({ [`GET /v2/lib/os/manifests/sha256:${'b'.repeat(64)}`]: { body: manifest } });
    await expect(resolveBase(client, 'lib/none', '1')).rejects.toThrow('base image 127.0.0.1:5999/lib/none:1 not found on the Hub at 127.0.0.1:5999');
    await expect(resolveBase(client, 'lib/os', `sha256:${'b'.repeat(64)}`)).rejects.toThrow('the Hub sent base manifest');
  });
});

describe('mountLayer', () => {
  it('skips a layer already there, mounts otherwise, and fails clearly when the Hub does not mount', async () => {
    const there = fakeHub({ [`HEAD /v2/team/app/blobs/${layer.digest}`]: {} });
    expect(await mountLayer(there.client, 'team/app', 'lib/os', layer)).toBe('exists');
    const mounts = fakeHub({ 'POST /v2/team/app/blobs/uploads/': { status: 201 } });
    expect(await mountLayer(mounts.client, 'team/app', 'lib/os', layer)).toBe('mounted');
    expect(mounts.asked).toContain(`POST /v2/team/app/blobs/uploads/?mount=${encodeURIComponent(layer.digest)}&from=lib%2Fos`);
    const refuses = fakeHub({ 'POST /v2/team/app/blobs/uploads/': { status: 202, location: '/v2/team/app/blobs/uploads/u1' }, 'DELETE /v2/team/app/blobs/uploads/u1': { status: 204 } });
    await expect(mountLayer(refuses.client, 'team/app', 'lib/os', layer)).rejects.toThrow('could not mount base layer');
    expect(refuses.asked).toContain('DELETE /v2/team/app/blobs/uploads/u1');
  });
});
