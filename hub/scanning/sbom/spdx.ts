/**
 * The SPDX 2.3 SBOM of a scanned image, as JSON: the image as the package the document
 * describes, containing one package per package URL. Written by hand (SPDX has no library in
 * this project), and as reproducible as the CycloneDX one.
 */
import { SPDX } from '@cyclonedx/cyclonedx-library';
import type { ScannedImage, ScannedPackage } from '../types.ts';
import { contentHash, imageCreated, uniquePackages } from './identity.ts';
import { SBOM_GENERATOR } from './media-types.ts';

/** The creation date of a document about an image that has none: fixed, so that the output stays reproducible. */
export const UNDATED = '1970-01-01T00:00:00Z';

/** Where the Hub's SPDX document namespaces live: a URI of the Hub's own, never fetched. */
export const SPDX_NAMESPACE_BASE = 'https://spdx.nocker.dev/sbom';

/** The image package's SPDX identifier. */
export const IMAGE_SPDXID = 'SPDXRef-Image';

/**
 * An SPDX 2.3 package, the members the Hub writes.
 *
 * @example
 * const doc = JSON.parse(spdxDocument(image)) as SpdxDocument;
 * const purls = doc.packages.flatMap((p: SpdxPackage) => p.externalRefs ?? []).map((r) => r.referenceLocator);
 */
export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: false;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  primaryPackagePurpose?: string;
  description?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
}

/**
 * An SPDX 2.3 JSON document, the members the Hub writes.
 *
 * @example
 * const { documentNamespace } = JSON.parse(spdxDocument(image)) as SpdxDocument;
 */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { creators: string[]; created: string };
  documentDescribes: string[];
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

/** SPDX identifiers allow letters, digits, `.` and `-` only. */
function sanitise(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-');
}

/**
 * The declared licence as an SPDX expression: one licence that is an SPDX ID (or a plain
 * AND/OR/WITH of IDs), else NOASSERTION — a free-text licence is not an expression, and several
 * strings do not say whether they are meant together or as a choice.
 */
function declaredLicense(licenses: readonly string[] | undefined): string {
  if (licenses?.length !== 1) return 'NOASSERTION';
  const [license = ''] = licenses;
  const terms = license.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean);
  const operands = terms.filter((term, i) => i % 2 === 0);
  const operators = terms.filter((term, i) => i % 2 === 1);
  const balanced = license.split('(').length === license.split(')').length;
  if (!balanced || terms.length % 2 === 0 || !operators.every((op) => op === 'AND' || op === 'OR' || op === 'WITH')) return 'NOASSERTION';
  // The WITH exception is not a licence ID; the licences on either side of AND/OR must be.
  const licensesOnly = operands.filter((_, i) => operators[i - 1] !== 'WITH');
  if (!licensesOnly.every((id) => SPDX.isSupportedSpdxId(id.replace(/\+$/, '')))) {
    return operands.length === 1 ? (SPDX.fixupSpdxId(license) ?? 'NOASSERTION') : 'NOASSERTION';
  }
  return license;
}

function spdxPackage(pkg: ScannedPackage, id: string): SpdxPackage {
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: declaredLicense(pkg.licenses),
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'LIBRARY',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
  };
}

/** The packages of the image with unique identifiers: type, name and version, and a count where those repeat. */
function describedPackages(image: ScannedImage): SpdxPackage[] {
  const used = new Set<string>();
  const unique = (base: string) => {
    let id = base;
    for (let n = 2; used.has(id); n += 1) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
  const packages: SpdxPackage[] = [];
  if (image.os) {
    const version = image.os.versionId ?? image.os.versionCodename;
    packages.push({
      SPDXID: unique(sanitise(`SPDXRef-OperatingSystem-${image.os.id}`)),
      name: image.os.id,
      ...(version ? { versionInfo: version } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING-SYSTEM',
      ...(image.os.prettyName ? { description: image.os.prettyName } : {}),
    });
  }
  for (const pkg of uniquePackages(image.packages)) packages.push(spdxPackage(pkg, unique(sanitise(`SPDXRef-Package-${pkg.type}-${pkg.name}-${pkg.version}`))));
  return packages;
}

/**
 * The SPDX 2.3 JSON document of `image`: the image as a CONTAINER package that the document
 * DESCRIBES and that CONTAINS the operating system and one package per package URL (with the
 * purl as its PACKAGE-MANAGER reference). Reproducible: `created` is the image's date (or
 * {@link UNDATED}) and the namespace is derived from the digest and the content.
 *
 * @example
 * const json = spdxDocument({ repository: 'team/app', digest, mediaType, packages });
 * JSON.parse(json).spdxVersion; // 'SPDX-2.3'
 */
export function spdxDocument(image: ScannedImage): string {
  const packages = describedPackages(image);
  const imagePackage: SpdxPackage = {
    SPDXID: IMAGE_SPDXID,
    name: image.repository,
    versionInfo: image.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
    ...(image.platform ? { description: `${image.platform} image` } : {}),
  };
  const content = {
    packages: [imagePackage, ...packages],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_SPDXID },
      ...packages.map((p) => ({ spdxElementId: IMAGE_SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
  const created = imageCreated(image) ?? UNDATED;
  const hash = contentHash([image.digest, created, JSON.stringify(content)]);
  const document: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${image.repository}@${image.digest}`,
    documentNamespace: `${SPDX_NAMESPACE_BASE}/${image.repository}/${image.digest.replace(':', '-')}-${hash.slice(0, 32)}`,
    creationInfo: { creators: [`Tool: ${SBOM_GENERATOR}`], created },
    documentDescribes: [IMAGE_SPDXID],
    ...content,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
