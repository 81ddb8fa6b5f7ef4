/**
 * The CycloneDX 1.6 SBOM of a scanned image, built, serialised and checked against the bundled
 * schema with the CycloneDX project's own library, so that what the Hub pushes is what every
 * CycloneDX reader expects.
 */
import { Enums, Models, SPDX, Serialize, Spec, Validation } from '@cyclonedx/cyclonedx-library';
import type { OsInfo } from '../analysers/types.ts';
import type { ScannedImage, ScannedPackage } from '../types.ts';
import { contentHash, imageCreated, uniquePackages, uuidFromHash } from './identity.ts';
import { SBOM_GENERATOR } from './media-types.ts';

/** The property that carries the image's platform (`os/architecture[/variant]`). */
export const PLATFORM_PROPERTY = 'nocker:image:platform';

const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
/** Compiled on first use: compiling the schema takes a moment that most Hub processes never need. */
let validator: Validation.JsonStrictValidator | undefined;

/** The operating system as a component, named by its os-release ID. */
function osComponent(os: OsInfo): Models.Component {
  const version = os.versionId ?? os.versionCodename;
  return new Models.Component(Enums.ComponentType.OperatingSystem, os.id, {
    bomRef: `os:${os.id}${version ? `@${version}` : ''}`,
    ...(version ? { version } : {}),
    ...(os.prettyName ? { description: os.prettyName } : {}),
  });
}

/**
 * A package as a library component, its bom-ref its purl. Each licence is listed on its own
 * (an SPDX ID where it is one, else by name): CycloneDX does not allow an expression beside
 * other licences, and the analysers' strings are not all valid expressions.
 */
function license(text: string): Models.DisjunctiveLicense {
  const id = SPDX.fixupSpdxId(text);
  return id ? new Models.SpdxLicense(id) : new Models.NamedLicense(text);
}

function packageComponent(pkg: ScannedPackage): Models.Component {
  return new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef: pkg.purl,
    version: pkg.version,
    purl: pkg.purl,
    licenses: new Models.LicenseRepository((pkg.licenses ?? []).map(license)),
  });
}

function buildBom(image: ScannedImage, serialNumber?: string): Models.Bom {
  const subject = new Models.Component(Enums.ComponentType.Container, image.repository, { bomRef: image.digest, version: image.digest });
  if (image.platform) subject.properties.add(new Models.Property(PLATFORM_PROPERTY, image.platform));
  const created = imageCreated(image);
  const bom = new Models.Bom({
    ...(serialNumber ? { serialNumber } : {}),
    metadata: new Models.Metadata({
      ...(created ? { timestamp: new Date(created) } : {}),
      component: subject,
      tools: new Models.Tools({ components: new Models.ComponentRepository([new Models.Component(Enums.ComponentType.Application, SBOM_GENERATOR)]) }),
    }),
  });
  const components = [...(image.os ? [osComponent(image.os)] : []), ...uniquePackages(image.packages).map(packageComponent)];
  for (const component of components) {
    bom.components.add(component);
    subject.dependencies.add(component.bomRef);
  }
  return bom;
}

/**
 * The CycloneDX 1.6 JSON document of `image`: the image as `metadata.component` (type
 * container, its repository and digest), the Hub as the tool, the operating system and one
 * library component per package URL. The output is reproducible: lists are sorted, the
 * timestamp is the image's `created` (left out without one) and the serial number is a UUID
 * derived from the digest and the content. Throws when the document does not validate.
 *
 * @example
 * const json = await cycloneDxDocument({ repository: 'team/app', digest, mediaType, packages });
 * JSON.parse(json).specVersion; // '1.6'
 */
export async function cycloneDxDocument(image: ScannedImage): Promise<string> {
  const options = { sortLists: true, space: 2 } as const;
  const unnumbered = serializer.serialize(buildBom(image), options);
  const serialNumber = `urn:uuid:${uuidFromHash(contentHash([image.digest, unnumbered]))}`;
  const document = serializer.serialize(buildBom(image, serialNumber), options);
  await validateCycloneDx(document, `the CycloneDX SBOM of ${image.repository}@${image.digest}`);
  return document;
}

/**
 * Checks a CycloneDX 1.6 JSON document against the schema the library bundles (strictly: no
 * members the schema does not name); throws an error starting with `what` when it does not validate.
 *
 * @example
 * await validateCycloneDx(json, 'the SBOM of team/app'); // resolves, or throws '… does not validate: …'
 */
export async function validateCycloneDx(document: string, what = 'the CycloneDX document'): Promise<void> {
  validator ??= new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  const error = await validator.validate(document);
  if (error !== null) throw new Error(`${what} does not validate: ${JSON.stringify(error)}`);
}
