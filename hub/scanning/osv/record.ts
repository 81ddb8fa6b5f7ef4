/**
 * OSV vulnerability records (https://ossf.github.io/osv-schema/) as the Hub keeps them: the JSON
 * is checked field by field and copied into a typed record, so that fields the schema does not
 * name never travel further and a malformed record is refused with the field at fault.
 */

/** A severity score of a record or of one affected package: a CVSS vector or a vendor's word. */
export interface OsvSeverity {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, or a type a later schema adds. */
  type: string;
  score: string;
}

/** One event of a range; each names exactly one of the four kinds. */
export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

/** The kinds of version range the schema defines. */
export type OsvRangeType = 'SEMVER' | 'ECOSYSTEM' | 'GIT';

/** A range of affected versions, as a list of events. */
export interface OsvRange {
  type: OsvRangeType;
  /** The repository of a GIT range. */
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

/** The package an `affected` entry is about. */
export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

/** One affected package with its ranges and explicit versions. */
export interface OsvAffected {
  /** Absent only in records that describe a commit range of a repository. */
  package?: OsvPackage;
  severity: OsvSeverity[];
  ranges: OsvRange[];
  versions: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

/** A link from a record to an advisory, fix, report or the like. */
export interface OsvReference {
  type: string;
  url: string;
}

/** A record credit: who found, reported or fixed the vulnerability. */
export interface OsvCredit {
  name: string;
  contact: string[];
  type?: string;
}

/** An OSV vulnerability record, holding only the fields the schema defines. */
export interface OsvRecord {
  schema_version?: string;
  id: string;
  /** RFC 3339 time of the last change. */
  modified: string;
  published?: string;
  /** Set when the record was retracted; a withdrawn record matches nothing. */
  withdrawn?: string;
  aliases: string[];
  related: string[];
  upstream: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  references: OsvReference[];
  credits: OsvCredit[];
  database_specific?: Record<string, unknown>;
}

/** Thrown by {@link parseOsvRecord}: names the source (file, URL) and the field at fault. */
export class OsvRecordError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${source}: ${field} ${problem}`);
    this.name = 'OsvRecordError';
  }
}

const RANGE_TYPES: readonly OsvRangeType[] = ['SEMVER', 'ECOSYSTEM', 'GIT'];
const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/**
 * Checks `json` against the OSV schema and returns a record with only the schema's fields.
 * `source` (a file name or URL) is named in every error. A record without `id` or `modified`
 * is refused, as is any field of the wrong type.
 *
 * @example
 * const record = parseOsvRecord(JSON.parse(text), 'osv/DEBIAN-CVE-2099-0001.json');
 * record.affected[0]?.ranges[0]?.events; // [{ introduced: '0' }, { fixed: '1.2-3' }]
 */
export function parseOsvRecord(json: unknown, source = 'OSV record'): OsvRecord {
  const read = new FieldReader(source);
  const doc = read.object(json, '(record)');
  const record: OsvRecord = {
    id: read.requiredString(doc, 'id'),
    modified: read.requiredString(doc, 'modified'),
    aliases: read.stringList(doc, 'aliases'),
    related: read.stringList(doc, 'related'),
    upstream: read.stringList(doc, 'upstream'),
    severity: read.list(doc, 'severity', (value, path) => parseSeverity(read, value, path)),
    affected: read.list(doc, 'affected', (value, path) => parseAffected(read, value, path)),
    references: read.list(doc, 'references', (value, path) => {
      const reference = read.object(value, path);
      return { type: read.requiredString(reference, 'type', path), url: read.requiredString(reference, 'url', path) };
    }),
    credits: read.list(doc, 'credits', (value, path) => {
      const credit = read.object(value, path);
      return withOptional({ name: read.requiredString(credit, 'name', path), contact: read.stringList(credit, 'contact', path) }, { type: read.optionalString(credit, 'type', path) });
    }),
  };
  return withOptional(record, {
    schema_version: read.optionalString(doc, 'schema_version'),
    published: read.optionalString(doc, 'published'),
    withdrawn: read.optionalString(doc, 'withdrawn'),
    summary: read.optionalString(doc, 'summary'),
    details: read.optionalString(doc, 'details'),
    database_specific: read.optionalObject(doc, 'database_specific'),
  });
}

function parseSeverity(read: FieldReader, value: unknown, path: string): OsvSeverity {
  const severity = read.object(value, path);
  return { type: read.requiredString(severity, 'type', path), score: read.requiredString(severity, 'score', path) };
}

function parseAffected(read: FieldReader, value: unknown, path: string): OsvAffected {
  const entry = read.object(value, path);
  const affected: OsvAffected = {
    severity: read.list(entry, 'severity', (item, itemPath) => parseSeverity(read, item, itemPath), path),
    ranges: read.list(entry, 'ranges', (item, itemPath) => parseRange(read, item, itemPath), path),
    versions: read.stringList(entry, 'versions', path),
  };
  let pkg: OsvPackage | undefined;
  if (entry.package !== undefined) {
    const packagePath = `${path}.package`;
    const raw = read.object(entry.package, packagePath);
    pkg = withOptional({ ecosystem: read.requiredString(raw, 'ecosystem', packagePath), name: read.requiredString(raw, 'name', packagePath) }, { purl: read.optionalString(raw, 'purl', packagePath) });
  }
  return withOptional(affected, {
    package: pkg,
    ecosystem_specific: read.optionalObject(entry, 'ecosystem_specific', path),
    database_specific: read.optionalObject(entry, 'database_specific', path),
  });
}

function parseRange(read: FieldReader, value: unknown, path: string): OsvRange {
  const raw = read.object(value, path);
  const type = read.requiredString(raw, 'type', path);
  if (!isRangeType(type)) throw new OsvRecordError(read.source, `${path}.type`, `is "${type}", not one of ${RANGE_TYPES.join(', ')}`);
  const events = read.list(raw, 'events', (item, itemPath) => parseEvent(read, item, itemPath), path);
  if (events.length === 0) throw new OsvRecordError(read.source, `${path}.events`, 'is missing or empty');
  // The schema asks every range to open with an introduced event; without one nothing is affected.
  if (!events.some((event) => 'introduced' in event)) throw new OsvRecordError(read.source, `${path}.events`, 'has no introduced event');
  const repo = read.optionalString(raw, 'repo', path);
  if (type === 'GIT' && repo === undefined) throw new OsvRecordError(read.source, `${path}.repo`, 'is required for a GIT range');
  return withOptional({ type, events }, { repo, database_specific: read.optionalObject(raw, 'database_specific', path) });
}

function parseEvent(read: FieldReader, value: unknown, path: string): OsvEvent {
  const raw = read.object(value, path);
  const kinds = EVENT_KINDS.filter((kind) => raw[kind] !== undefined);
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) throw new OsvRecordError(read.source, path, `must hold exactly one of ${EVENT_KINDS.join(', ')}`);
  const version = read.requiredString(raw, kind, path);
  switch (kind) {
    case 'introduced':
      return { introduced: version };
    case 'fixed':
      return { fixed: version };
    case 'last_affected':
      return { last_affected: version };
    case 'limit':
      return { limit: version };
  }
}

function isRangeType(type: string): type is OsvRangeType {
  return (RANGE_TYPES as readonly string[]).includes(type);
}

/** Adds the defined optional fields only, so records compare equal whatever the source omitted. */
function withOptional<T extends object, O extends object>(base: T, optional: O): T & Partial<O> {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as T & Partial<O>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed reads of one source's fields, each error naming the source and the field's path. */
class FieldReader {
  constructor(readonly source: string) {}

  private fail(field: string, problem: string): never {
    throw new OsvRecordError(this.source, field, problem);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(path, 'must be a JSON object');
    return value;
  }

  requiredString(doc: Record<string, unknown>, key: string, parent?: string): string {
    const value = doc[key];
    const path = join(parent, key);
    if (value === undefined || value === null) this.fail(path, 'is missing');
    if (typeof value !== 'string') this.fail(path, 'must be a string');
    if (value.trim() === '') this.fail(path, 'must not be empty');
    return value;
  }

  optionalString(doc: Record<string, unknown>, key: string, parent?: string): string | undefined {
    const value = doc[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(join(parent, key), 'must be a string');
    return value;
  }

  optionalObject(doc: Record<string, unknown>, key: string, parent?: string): Record<string, unknown> | undefined {
    const value = doc[key];
    if (value === undefined || value === null) return undefined;
    return this.object(value, join(parent, key));
  }

  list<T>(doc: Record<string, unknown>, key: string, item: (value: unknown, path: string) => T, parent?: string): T[] {
    const value = doc[key];
    const path = join(parent, key);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    return value.map((element, index) => item(element, `${path}[${index}]`));
  }

  stringList(doc: Record<string, unknown>, key: string, parent?: string): string[] {
    return this.list(doc, key, (value, path) => {
      if (typeof value !== 'string') this.fail(path, 'must be a string');
      return value;
    }, parent);
  }
}

function join(parent: string | undefined, key: string): string {
  return parent === undefined ? key : `${parent}.${key}`;
}
