import { describe, expect, it } from 'vitest';
import type { ScannedImage } from '../types.ts';
import { sampleImage } from './testing.ts';
import { cycloneDxDocument, PLATFORM_PROPERTY, validateCycloneDx } from './cyclonedx.ts';

const { digest } = sampleImage;

interface CycloneDx {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp?: string; tools: { components: { name: string }[] }; component: { type: string; name: string; version: string; properties?: { name: string; value: string }[] } };
  components: { type: string; name: string; version?: string; purl?: string; 'bom-ref': string; licenses?: { license: { id?: string; name?: string } }[] }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

describe('cycloneDxDocument', () => {
  it('describes the image, its operating system and each package once', async () => {
    const bom = JSON.parse(await cycloneDxDocument(sampleImage)) as CycloneDx;
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBe('2024-05-01T10:20:30.000Z');
    expect(bom.metadata.tools.components.map((c) => c.name)).toEqual(['nocker-hub']);
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: 'team/app', version: digest, properties: [{ name: PLATFORM_PROPERTY, value: 'linux/amd64' }] });
    const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));
    expect(bom.components).toHaveLength(4);
    expect(byRef.get('os:debian@12')).toMatchObject({ type: 'operating-system', name: 'debian', version: '12' });
    expect(byRef.get('pkg:npm/left-pad@1.3.0')).toMatchObject({ type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' });
    // Both places' licences, an SPDX ID where the text is one, a name where it is not.
    expect(byRef.get('pkg:npm/left-pad@1.3.0')?.licenses?.map((l) => l.license.id).sort()).toEqual(['MIT', 'WTFPL']);
    expect(byRef.get('pkg:npm/%40scope/odd@2.0.0')?.licenses).toEqual([{ license: { name: 'SEE LICENSE IN LICENSE.md' } }]);
    expect(bom.dependencies.find((d) => d.ref === digest)?.dependsOn).toHaveLength(4);
  });

  it('gives the same bytes for the same image, whatever the package order, and others for other packages', async () => {
    const first = await cycloneDxDocument(sampleImage);
    const again = await cycloneDxDocument({ ...sampleImage, packages: [...sampleImage.packages].reverse() });
    expect(again).toBe(first);
    const fewer = await cycloneDxDocument({ ...sampleImage, packages: sampleImage.packages.slice(1) });
    expect(fewer).not.toBe(first);
    expect((JSON.parse(fewer) as CycloneDx).serialNumber).not.toBe((JSON.parse(first) as CycloneDx).serialNumber);
  });

  it('leaves the timestamp out when the image has no date, and validates an empty image', async () => {
    const bom = JSON.parse(await cycloneDxDocument({ repository: 'x/y', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', packages: [] })) as CycloneDx;
    expect(bom.metadata.timestamp).toBeUndefined();
    expect(bom.components ?? []).toEqual([]);
  });

  it('refuses what the schema refuses', async () => {
    const valid = JSON.parse(await cycloneDxDocument(sampleImage)) as Record<string, unknown>;
    await expect(validateCycloneDx(JSON.stringify({ ...valid, serialNumber: 'not-a-urn' }), 'this SBOM')).rejects.toThrow('this SBOM does not validate');
    await expect(validateCycloneDx(JSON.stringify({ ...valid, surprise: true }))).rejects.toThrow('does not validate');
  });
});
