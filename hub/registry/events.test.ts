import { describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { digestOf } from '../oci/digest.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../oci/mediatypes.ts';
import { RegistryEvents, type RegistryEvent } from './events.ts';

async function* bytes(data: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(data);
}

describe('RegistryEvents', () => {
  it('delivers events to every listener, and a failing listener harms nobody', async () => {
    const events = new RegistryEvents();
    const seen: string[] = [];
    events.on(() => {
      throw new Error('listener bug');
    });
    const off = events.on((e) => void seen.push(e.type));
    events.emit({ type: 'tag.deleted', repository: 'a', tag: 'v1' });
    await new Promise((r) => setTimeout(r, 10));
    off();
    events.emit({ type: 'tag.deleted', repository: 'a', tag: 'v2' });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['tag.deleted']);
  });
});

describe('registry events from manifest operations', () => {
  const backends = useTestBackends();

  it('announces pushes, untagging and deletions after they are committed', async () => {
    const { registry } = backends();
    const seen: RegistryEvent[] = [];
    registry.events.on((e) => void seen.push(e));

    const upload = await registry.uploads.start('team/app');
    await registry.uploads.finish('team/app', upload.id, EMPTY_DESCRIPTOR.digest, bytes('{}'));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: EMPTY_DESCRIPTOR, layers: [] }));
    const digest = digestOf(manifest);
    await registry.manifests.put('team/app', 'v1', manifest, MediaType.OciManifest);
    await registry.manifests.delete('team/app', 'v1');
    await registry.manifests.delete('team/app', digest);
    await new Promise((r) => setTimeout(r, 10));

    expect(seen).toEqual([
      { type: 'manifest.pushed', repository: 'team/app', digest, mediaType: MediaType.OciManifest, tag: 'v1', subject: undefined },
      { type: 'tag.deleted', repository: 'team/app', tag: 'v1' },
      { type: 'manifest.deleted', repository: 'team/app', digest },
    ]);
  });
});
