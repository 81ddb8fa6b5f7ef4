/**
 * Java libraries in jar, war and ear archives: each `META-INF/maven/<group>/<artifact>/pom.properties`
 * Maven's archiver writes (a shaded jar holds one per library folded into it), in the archive
 * and in the archives nested in it (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, any `*.jar`),
 * down to {@link MAX_NESTING} levels and {@link MAX_NESTED_BYTES} of nested archives per file.
 * An archive with no pom.properties is named by its manifest only when that names a group
 * (`Implementation-Vendor-Id`), an artifact-like `Implementation-Title` and a version; anything
 * less would be a guess. Packages name the outermost archive's path, the file in the image.
 *
 * Archives can be large and many, so the scanner does not keep them: {@link javaArchiveExtractor}
 * reads one at a time and keeps the coordinates found, as JSON, at `<path>#java-archive`.
 */
import { zipEntries, zipEntryData } from '../binary/zip.ts';
import type { FileExtractor } from '../layer-files.ts';
import { extractAnalyser } from './per-file.ts';
import type { Analyser, InstalledPackage } from './types.ts';

/** The extract name, and so the suffix of the synthetic paths this analyser reads. */
export const JAVA_ARCHIVE = 'java-archive';
/** Every zip archive starts with a local file header. */
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');

const ARCHIVE = /\.(?:jar|war|ear)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const MANIFEST = 'META-INF/MANIFEST.MF';
/** How many levels of archives in archives are opened below the file itself. */
export const MAX_NESTING = 3;
/** Bytes of nested archives inflated per scanned file, all levels together. */
export const MAX_NESTED_BYTES = 256 * 1024 * 1024;
/** Far more than any real pom.properties or manifest. */
const MAX_METADATA_BYTES = 1024 * 1024;
const ARTIFACT_ID = /^[A-Za-z0-9_.-]+$/;

/** `key=value` (or `key: value`) lines of a Java properties file; comments and blanks skipped. */
function properties(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) found.set(match[1] as string, (match[2] as string).trim());
  }
  return found;
}

/** The main section of a JAR manifest: `Name: value` with 1-space continuation lines. */
function manifestAttributes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last) found.set(last, `${found.get(last) ?? ''}${line.slice(1)}`);
    else {
      const colon = line.indexOf(': ');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      found.set(last, line.slice(colon + 2).trim());
    }
  }
  return found;
}

/** A library found in an archive: its `groupId:artifactId` and version. */
interface Artifact {
  name: string;
  version: string;
}

function artifactsOf(archive: Buffer, depth: number, budget: { bytes: number }): Artifact[] {
  const entries = zipEntries(archive);
  if (!entries) return [];
  const found: Artifact[] = [];
  let named = false;
  for (const entry of entries) {
    if (!POM_PROPERTIES.test(entry.name)) continue;
    const data = zipEntryData(archive, entry, MAX_METADATA_BYTES);
    if (!data) continue;
    const pom = properties(data.toString('utf8'));
    const groupId = pom.get('groupId');
    const artifactId = pom.get('artifactId');
    const version = pom.get('version');
    if (!groupId || !artifactId || !version) continue;
    named = true;
    found.push({ name: `${groupId}:${artifactId}`, version });
  }
  if (!named) {
    const entry = entries.find((candidate) => candidate.name === MANIFEST);
    const data = entry && zipEntryData(archive, entry, MAX_METADATA_BYTES);
    const manifest = data ? manifestAttributes(data.toString('utf8')) : undefined;
    const groupId = manifest?.get('Implementation-Vendor-Id');
    const artifactId = manifest?.get('Implementation-Title');
    const version = manifest?.get('Implementation-Version');
    if (groupId && artifactId && version && ARTIFACT_ID.test(groupId) && ARTIFACT_ID.test(artifactId)) found.push({ name: `${groupId}:${artifactId}`, version });
  }
  if (depth >= MAX_NESTING) return found;
  for (const entry of entries) {
    if (!ARCHIVE.test(entry.name) || entry.size > budget.bytes) continue;
    const nested = zipEntryData(archive, entry, budget.bytes);
    if (!nested) continue;
    // Stored entries are views of `archive` and cost nothing; inflated ones count.
    if (entry.method !== 0) budget.bytes -= nested.length;
    found.push(...artifactsOf(nested, depth + 1, budget));
  }
  return found;
}

/**
 * Keeps the libraries found in each jar, war or ear archive (any mode, up to the scan's file
 * size limit), as a JSON list of `{ name, version }`; nothing for an archive that names none.
 *
 * @example
 * await readImageFiles(layers, isScannedPath, DEFAULT_SCAN_LIMITS, [javaArchiveExtractor]);
 */
export const javaArchiveExtractor: FileExtractor = {
  name: JAVA_ARCHIVE,
  magic: ZIP_MAGIC,
  wants: (path) => ARCHIVE.test(path),
  extract(data) {
    const artifacts = artifactsOf(data, 0, { bytes: MAX_NESTED_BYTES });
    return artifacts.length ? Buffer.from(JSON.stringify(artifacts)) : undefined;
  },
};

function packagesOf(extract: Buffer, path: string): InstalledPackage[] {
  let artifacts: unknown;
  try {
    artifacts = JSON.parse(extract.toString('utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(artifacts)) return [];
  const found: InstalledPackage[] = [];
  for (const artifact of artifacts as unknown[]) {
    const { name, version } = (artifact ?? {}) as Record<string, unknown>;
    if (typeof name === 'string' && typeof version === 'string') found.push({ type: 'maven', name, version, path });
  }
  return found;
}

/**
 * The Java archive analyser, over the extracts of {@link javaArchiveExtractor}.
 *
 * @example
 * const extract = javaArchiveExtractor.extract(readFileSync('app.war'), 'app/app.war');
 * javaAnalyser.analyse(new Map([['app/app.war#java-archive', extract]]));
 * // [{ type: 'maven', name: 'org.apache.commons:commons-lang3', version: '3.12.0', path: 'app/app.war' }, …]
 */
export const javaAnalyser: Analyser = extractAnalyser('java', JAVA_ARCHIVE, packagesOf);
