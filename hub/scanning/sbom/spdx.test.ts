import { describe, expect, it } from 'vitest';
import type { ScannedImage } from '../types.ts';
import { IMAGE_SPDXID, SPDX_NAMESPACE_BASE, spdxDocument, UNDATED, type SpdxDocument } from './spdx.ts';
import { sampleImage } from './testing.ts';

/** The members SPDX 2.3 requires of a document, of its creation info and of each package. */
const REQUIRED_DOCUMENT = ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo'];
const REQUIRED_PACKAGE = ['SPDXID', 'name', 'downloadLocation'];
/** SPDX 2.3 § 3.2 and § 7.2: `SPDXRef-` and then letters, digits, `.` and `-`. */
const SPDXID = /^SPDXRef-[A-Za-z0-9.-]+$/;
/** § 6.9: `YYYY-MM-DDThh:mm:ssZ`. */
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const LICENSE_VALUE = /^(NOASSERTION|NONE|[A-Za-z0-9.+() -]+)$/;

function parse(image: ScannedImage): SpdxDocument {
  return JSON.parse(spdxDocument(image)) as SpdxDocument;
}

describe('spdxDocument', () => {
  it('has what SPDX 2.3 requires, with valid identifiers and dates', () => {
    const doc = parse(sampleImage);
    for (const member of REQUIRED_DOCUMENT) expect(doc).toHaveProperty(member);
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: `team/app@${sampleImage.digest}` });
    expect(doc.creationInfo).toEqual({ creators: ['Tool: nocker-hub'], created: '2024-05-01T10:20:30Z' });
    expect(doc.creationInfo.created).toMatch(CREATED);
    // An absolute URI without a fragment (§ 6.5).
    expect(new URL(doc.documentNamespace).protocol).toBe('https:');
    expect(doc.documentNamespace.startsWith(`${SPDX_NAMESPACE_BASE}/team/app/sha256-`)).toBe(true);
    expect(doc.documentNamespace).not.toContain('#');
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const pkg of doc.packages) {
      for (const member of REQUIRED_PACKAGE) expect(pkg).toHaveProperty(member);
      expect(pkg.SPDXID).toMatch(SPDXID);
      expect(pkg.licenseConcluded).toMatch(LICENSE_VALUE);
      expect(pkg.licenseDeclared).toMatch(LICENSE_VALUE);
      // filesAnalyzed false: no verification code or files are needed (§ 7.8, 7.9).
      expect(pkg.filesAnalyzed).toBe(false);
    }
  });

  it('describes the image, which contains the system and each package once with its purl', () => {
    const doc = parse(sampleImage);
    expect(doc.documentDescribes).toEqual([IMAGE_SPDXID]);
    expect(doc.packages[0]).toMatchObject({ SPDXID: IMAGE_SPDXID, name: 'team/app', versionInfo: sampleImage.digest, primaryPackagePurpose: 'CONTAINER' });
    expect(doc.packages).toHaveLength(5);
    const byPurl = new Map(doc.packages.map((p) => [p.externalRefs?.[0]?.referenceLocator, p]));
    expect(byPurl.get('pkg:npm/left-pad@1.3.0')).toMatchObject({
      name: 'left-pad',
      versionInfo: '1.3.0',
      downloadLocation: 'NOASSERTION',
      licenseConcluded: 'NOASSERTION',
      // Two licences found, not said to be AND or OR: no assertion.
      licenseDeclared: 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/left-pad@1.3.0' }],
    });
    expect(byPurl.get('pkg:npm/%40scope/odd@2.0.0')?.licenseDeclared).toBe('NOASSERTION');
    const busybox = byPurl.get(sampleImage.packages[0]?.purl);
    expect(busybox?.SPDXID).toBe('SPDXRef-Package-deb-busybox-1-1.35.0-4-b3');
    expect(doc.packages.find((p) => p.primaryPackagePurpose === 'OPERATING-SYSTEM')).toMatchObject({ name: 'debian', versionInfo: '12' });
    expect(doc.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_SPDXID });
    const contained = doc.relationships.filter((r) => r.relationshipType === 'CONTAINS');
    expect(contained.map((r) => r.relatedSpdxElement).sort()).toEqual(doc.packages.slice(1).map((p) => p.SPDXID).sort());
    expect(contained.every((r) => r.spdxElementId === IMAGE_SPDXID)).toBe(true);
  });

  it('declares a licence only when it is an SPDX expression', () => {
    const withLicense = (license: string) => parse({ ...sampleImage, os: undefined, packages: [{ ...sampleImage.packages[1]!, licenses: [license] }] }).packages[1]?.licenseDeclared;
    expect(withLicense('MIT')).toBe('MIT');
    expect(withLicense('mit')).toBe('MIT');
    expect(withLicense('(MIT OR Apache-2.0)')).toBe('(MIT OR Apache-2.0)');
    expect(withLicense('GPL-2.0-or-later WITH Classpath-exception-2.0')).toBe('GPL-2.0-or-later WITH Classpath-exception-2.0');
    expect(withLicense('GPL')).toBe('NOASSERTION');
    expect(withLicense('(MIT')).toBe('NOASSERTION');
    expect(withLicense('MIT OR')).toBe('NOASSERTION');
  });

  it('gives the same bytes for the same image and a new namespace for new content', () => {
    const first = spdxDocument(sampleImage);
    expect(spdxDocument({ ...sampleImage, packages: [...sampleImage.packages].reverse() })).toBe(first);
    const other = parse({ ...sampleImage, packages: sampleImage.packages.slice(1) });
    expect(other.documentNamespace).not.toBe((JSON.parse(first) as SpdxDocument).documentNamespace);
    const undated = parse({ ...sampleImage, created: undefined });
    expect(undated.creationInfo.created).toBe(UNDATED);
  });

  it('keeps identifiers unique when sanitising makes two alike', () => {
    const twins = parse({
      ...sampleImage,
      os: undefined,
      packages: [
        { type: 'npm', name: 'a_b', version: '1', path: 'x', purl: 'pkg:npm/a_b@1' },
        { type: 'npm', name: 'a+b', version: '1', path: 'y', purl: 'pkg:npm/a%2Bb@1' },
      ],
    });
    expect(twins.packages.map((p) => p.SPDXID)).toEqual([IMAGE_SPDXID, 'SPDXRef-Package-npm-a-b-1', 'SPDXRef-Package-npm-a-b-1-2']);
  });
});
