/**
 * The Hub's metadata, as drizzle tables. Bytes live in the BlobStore; these rows say which
 * repositories see which blobs, what manifests and tags exist, and which uploads are open.
 * `npm run db:generate` turns changes here into a new SQL migration in migrations/.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import type { PolicyIdentity, PolicyKey } from '../policy/types.ts';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const repositories = pgTable('repositories', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  createdAt: createdAt(),
});

/** Content the Hub holds, once however many repositories link it. */
export const blobs = pgTable('blobs', {
  digest: text('digest').primaryKey(),
  size: bigint('size', { mode: 'number' }).notNull(),
  createdAt: createdAt(),
  /** Moved forward whenever a push links or references the blob; GC's grace period reads it. */
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * Set (and committed) by GC before it deletes the bytes: from then on the blob counts as
   * absent, so a crash between deleting the bytes and the row never shows a blob without bytes.
   */
  deleting: boolean('deleting').notNull().default(false),
});

/** A repository sees only the blobs linked to it (pushed there or mounted). */
export const repositoryBlobs = pgTable(
  'repository_blobs',
  {
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    digest: text('digest')
      .notNull()
      .references(() => blobs.digest, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.repositoryId, t.digest] }), index('repository_blobs_digest_idx').on(t.digest)],
);

export const manifests = pgTable(
  'manifests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    mediaType: text('media_type').notNull(),
    /** `artifactType`, or the config media type of an image manifest: what referrers report. */
    artifactType: text('artifact_type'),
    size: integer('size').notNull(),
    /** The exact bytes pushed: a manifest is served from one row, in one round trip. */
    content: bytea('content').notNull(),
    subjectDigest: text('subject_digest'),
    annotations: jsonb('annotations').$type<Record<string, string>>(),
    createdAt: createdAt(),
    /** Moved forward when the manifest is pushed again or an index push lists it; GC's grace period reads it. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('manifests_repository_digest_key').on(t.repositoryId, t.digest),
    index('manifests_subject_idx').on(t.repositoryId, t.subjectDigest).where(sql`${t.subjectDigest} is not null`),
  ],
);

/** What a manifest points at: blobs (config, layers) and child manifests (index entries). */
export const manifestReferences = pgTable(
  'manifest_references',
  {
    manifestId: bigint('manifest_id', { mode: 'number' })
      .notNull()
      .references(() => manifests.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.manifestId, t.kind, t.digest] }), index('manifest_references_digest_idx').on(t.digest)],
);

export const tags = pgTable(
  'tags',
  {
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    manifestId: bigint('manifest_id', { mode: 'number' })
      .notNull()
      .references(() => manifests.id, { onDelete: 'cascade' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.repositoryId, t.name] }), index('tags_manifest_idx').on(t.manifestId)],
);

/** Blob uploads in progress; kept here so that they survive a restart. */
export const uploads = pgTable('uploads', {
  id: text('id').primaryKey(),
  repositoryId: integer('repository_id')
    .notNull()
    .references(() => repositories.id, { onDelete: 'cascade' }),
  /** Bytes received and acknowledged so far. */
  size: bigint('size', { mode: 'number' }).notNull().default(0),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

// ---------------------------------------------------------------------------------------------
// Access control: accounts, namespaces and their members, tokens, the audit log
// ---------------------------------------------------------------------------------------------

/** What a robot account may do: actions on one repository, or on every one under a prefix (`team/*`). */
export interface RobotPermission {
  repository: string;
  actions: ('pull' | 'push' | 'delete')[];
}

/** People (`user`) and CI identities (`robot`, named `robot$<name>`), both logging in with a password. */
export const accounts = pgTable('accounts', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind', { enum: ['user', 'robot'] }).notNull(),
  /** scrypt, in the self-describing format of hub/auth/passwords.ts. */
  passwordHash: text('password_hash').notNull(),
  admin: boolean('admin').notNull().default(false),
  disabled: boolean('disabled').notNull().default(false),
  description: text('description'),
  /** Robots only: exactly what they may do. */
  permissions: jsonb('permissions').$type<RobotPermission[]>(),
  /** Robots only: past this instant the account can no longer log in. */
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  createdBy: text('created_by'),
  createdAt: createdAt(),
});

/** The first path segment of repository names, like an organisation. */
export const namespaces = pgTable('namespaces', {
  name: text('name').primaryKey(),
  visibility: text('visibility', { enum: ['public', 'private'] }).notNull().default('private'),
  /** Once pushed, a tag can neither move nor be deleted. */
  immutableTags: boolean('immutable_tags').notNull().default(false),
  /** The lowest role that may delete manifests, tags and blobs (`admin`: administrators only). */
  deletePolicy: text('delete_policy', { enum: ['developer', 'maintainer', 'owner', 'admin'] })
    .notNull()
    .default('maintainer'),
  createdAt: createdAt(),
});

export const namespaceMembers = pgTable(
  'namespace_members',
  {
    namespace: text('namespace')
      .notNull()
      .references(() => namespaces.name, { onDelete: 'cascade' }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'maintainer', 'developer', 'reader'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.accountId] }), index('namespace_members_account_idx').on(t.accountId)],
);

/** Long-lived refresh tokens handed to `docker login`-style clients; only a hash of the secret is kept. */
export const refreshTokens = pgTable('refresh_tokens', {
  id: text('id').primaryKey(),
  accountId: integer('account_id')
    .notNull()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  secretHash: text('secret_hash').notNull(),
  userAgent: text('user_agent'),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

/** Public halves of every replica's token signing key: any replica verifies any other's tokens. */
export const tokenKeys = pgTable('token_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
});

/** Who did what, from where, to which repository, and how it ended. Rows are never changed. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    actorKind: text('actor_kind').notNull(),
    clientAddress: text('client_address'),
    action: text('action').notNull(),
    repository: text('repository'),
    reference: text('reference'),
    outcome: text('outcome', { enum: ['success', 'denied', 'failure'] }).notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_repository_idx').on(t.repository, t.id), index('audit_log_actor_idx').on(t.actor, t.id)],
);

// ---------------------------------------------------------------------------------------------
// Trust policies: which signatures a namespace's images need, per environment
// ---------------------------------------------------------------------------------------------

export const trustPolicies = pgTable(
  'trust_policies',
  {
    namespace: text('namespace')
      .notNull()
      .references(() => namespaces.name, { onDelete: 'cascade' }),
    environment: text('environment').notNull(),
    mode: text('mode', { enum: ['enforce', 'warn', 'off'] }).notNull(),
    keys: jsonb('keys').$type<PolicyKey[]>().notNull(),
    // Defaults so that policies set before keyless signing keep meaning what they meant.
    roots: jsonb('roots').$type<PolicyKey[]>().notNull().default(sql`'[]'::jsonb`),
    identities: jsonb('identities').$type<PolicyIdentity[]>().notNull().default(sql`'[]'::jsonb`),
    required: integer('required').notNull(),
    /** Raised by every change: the registry caches verification results per version. */
    version: integer('version').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespace, t.environment] }),
    check('trust_policies_mode_check', sql`${t.mode} in ('enforce', 'warn', 'off')`),
    check('trust_policies_required_check', sql`${t.required} >= 1`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Scanning: the job queue, what each image holds, and what is known to be vulnerable
// ---------------------------------------------------------------------------------------------

/**
 * Work for the scan workers, durable so that it survives a restart. `scan` reads an image's
 * layers; `match` compares its stored packages with the vulnerability database again (after
 * an import). One row per (digest, kind): asking again only moves `requestedAt`, which tells a
 * worker that finished an older request that the job must run once more.
 */
export const scanJobs = pgTable(
  'scan_jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** An image or index manifest digest. */
    digest: text('digest').notNull(),
    /** A repository holding it, to read it from. */
    repository: text('repository').notNull(),
    kind: text('kind', { enum: ['scan', 'match'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Not before this instant: retries wait, with backoff. */
    runAfter: timestamp('run_after', { withTimezone: true }).notNull().defaultNow(),
    /** While a worker holds the job; a job whose lease ran out (its worker died) is taken again. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: createdAt(),
  },
  (t) => [unique('scan_jobs_digest_kind_key').on(t.digest, t.kind), index('scan_jobs_due_idx').on(t.runAfter)],
);

/** The latest scan of each image manifest (by digest: the same image in two repositories is scanned once). */
export const imageScans = pgTable('image_scans', {
  digest: text('digest').primaryKey(),
  status: text('status', { enum: ['pending', 'done', 'failed'] }).notNull(),
  /** Why the scan failed (a hostile layer, an unreadable config…). */
  error: text('error'),
  /** The distribution, from os-release. */
  os: jsonb('os').$type<{ id: string; versionId?: string; versionCodename?: string; prettyName?: string }>(),
  /** `os/arch[/variant]` of the image config. */
  platform: text('platform'),
  /** The vulnerability database version (`vulndb_imports.id`) the findings were matched against. */
  vulndbVersion: integer('vulndb_version'),
  scannedAt: timestamp('scanned_at', { withTimezone: true }),
  matchedAt: timestamp('matched_at', { withTimezone: true }),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The packages a scan found. `ecosystem` is OSV's name for where they come from (`Debian:12`, `npm`). */
export const imagePackages = pgTable(
  'image_packages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    digest: text('digest')
      .notNull()
      .references(() => imageScans.digest, { onDelete: 'cascade' }),
    /** Package URL type: deb, apk, npm, pypi, gem, cargo, golang, maven. */
    type: text('type').notNull(),
    ecosystem: text('ecosystem'),
    name: text('name').notNull(),
    version: text('version').notNull(),
    /** The source package (deb, apk): what distribution advisories name. */
    sourceName: text('source_name'),
    sourceVersion: text('source_version'),
    arch: text('arch'),
    purl: text('purl').notNull(),
    path: text('path').notNull(),
    /** The layer that last wrote `path`. */
    layer: text('layer'),
    licenses: jsonb('licenses').$type<string[]>(),
  },
  (t) => [index('image_packages_digest_idx').on(t.digest), index('image_packages_lookup_idx').on(t.ecosystem, t.name)],
);

/** What the last match found: one row per vulnerability and package. */
export const imageVulnerabilities = pgTable(
  'image_vulnerabilities',
  {
    digest: text('digest')
      .notNull()
      .references(() => imageScans.digest, { onDelete: 'cascade' }),
    vulnerabilityId: text('vulnerability_id').notNull(),
    packageId: bigint('package_id', { mode: 'number' })
      .notNull()
      .references(() => imagePackages.id, { onDelete: 'cascade' }),
    severity: text('severity', { enum: ['critical', 'high', 'medium', 'low', 'unknown'] }).notNull(),
    score: text('score'),
    fixedVersion: text('fixed_version'),
  },
  (t) => [primaryKey({ columns: [t.digest, t.vulnerabilityId, t.packageId] })],
);

/** OSV records as imported; `withdrawn` ones stay, so that a later import of an older copy is not taken. */
export const vulnerabilities = pgTable('vulnerabilities', {
  id: text('id').primaryKey(),
  modified: timestamp('modified', { withTimezone: true }).notNull(),
  withdrawn: timestamp('withdrawn', { withTimezone: true }),
  aliases: jsonb('aliases').$type<string[]>().notNull(),
  summary: text('summary'),
  severity: text('severity', { enum: ['critical', 'high', 'medium', 'low', 'unknown'] }).notNull(),
  score: text('score'),
  /** The whole record (OSV schema JSON). */
  record: jsonb('record').$type<Record<string, unknown>>().notNull(),
  /** The import that last changed it. */
  importId: integer('import_id').notNull(),
});

/** Which (ecosystem, package) each record names: the index matching looks records up by. */
export const vulnerabilityPackages = pgTable(
  'vulnerability_packages',
  {
    vulnerabilityId: text('vulnerability_id')
      .notNull()
      .references(() => vulnerabilities.id, { onDelete: 'cascade' }),
    /** As the record spells it (`Debian:12`, `PyPI`). */
    ecosystem: text('ecosystem').notNull(),
    /** The ecosystem without its release (`Debian`), for lookups. */
    ecosystemBase: text('ecosystem_base').notNull(),
    /** Normalised for lookup: lowercase (PyPI also per PEP 503). */
    name: text('name').notNull(),
  },
  (t) => [primaryKey({ columns: [t.vulnerabilityId, t.ecosystem, t.name] }), index('vulnerability_packages_lookup_idx').on(t.ecosystemBase, t.name)],
);

/** One row per `nocker hub vulndb import`; the latest finished one's id is the database version. */
export const vulndbImports = pgTable('vulndb_imports', {
  id: serial('id').primaryKey(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  importedBy: text('imported_by').notNull(),
  source: text('source'),
  /** Records added, updated, withdrawn, skipped (not newer than what is stored), rejected. */
  counts: jsonb('counts').$type<Record<string, number>>(),
});

/**
 * Vulnerability policies, next to trust policies: per namespace and environment, whether pulls
 * of images with fixable vulnerabilities at or above `severity` are refused or warned about.
 */
export const vulnerabilityPolicies = pgTable(
  'vulnerability_policies',
  {
    namespace: text('namespace')
      .notNull()
      .references(() => namespaces.name, { onDelete: 'cascade' }),
    environment: text('environment').notNull(),
    mode: text('mode', { enum: ['enforce', 'warn', 'off'] }).notNull(),
    severity: text('severity', { enum: ['critical', 'high', 'medium', 'low'] }).notNull(),
    /** Vulnerability ids let through, each until its `expires` (ISO 8601), with a reason. */
    allowlist: jsonb('allowlist').$type<{ id: string; expires?: string; reason?: string }[]>().notNull(),
    version: integer('version').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespace, t.environment] }),
    check('vulnerability_policies_mode_check', sql`${t.mode} in ('enforce', 'warn', 'off')`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Dependencies: what each image is built on
// ---------------------------------------------------------------------------------------------

/**
 * The layer stack of every image manifest, recorded when it is pushed: its ChainIDs (over the
 * config's diff_ids, so recompression does not matter) find the image it was built on, and the
 * base annotations name it when the build said so.
 */
export const imageLayers = pgTable(
  'image_layers',
  {
    manifestId: bigint('manifest_id', { mode: 'number' })
      .primaryKey()
      .references(() => manifests.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    /** ChainIDs, bottom layer first; the last is the whole stack's. */
    chainIds: text('chain_ids').array().notNull(),
    layerCount: integer('layer_count').notNull(),
    topChainId: text('top_chain_id').notNull(),
    /** `org.opencontainers.image.base.name` and `.digest`, when the image carries them. */
    baseName: text('base_name'),
    baseDigest: text('base_digest'),
  },
  (t) => [index('image_layers_top_idx').on(t.topChainId), index('image_layers_digest_idx').on(t.digest), index('image_layers_base_digest_idx').on(t.baseDigest)],
);
