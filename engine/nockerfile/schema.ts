/**
 * The shape of a Nockerfile, described as data: which keys each section has, which are required,
 * and what each value must look like. validate.ts walks a tree against this description.
 */
import { parseAbsolutePath, parseBaseImage, parseDependency, parseImageName, parseCopy, parseCpu, parsePort, parseSize, type Parsed } from './values.ts';
import type { Scalar } from './tree.ts';

/** The environments every Nockerfile has, with or without an `environments:` entry. */
export const BUILT_IN_ENVIRONMENTS = ['production', 'development', 'embedded', 'testing'] as const;

/** The Nockerfile versions this release reads. */
export const SUPPORTED_VERSIONS = ['1.0'] as const;

type ScalarType = 'string' | 'number' | 'boolean';

/** A scalar of one of `accepts` types, optionally from an enumeration or passing a check. */
export interface ScalarSchema {
  type: 'scalar';
  accepts: readonly ScalarType[];
  expected: string;
  enum?: readonly string[];
  check?: (value: Scalar) => Parsed<unknown>;
}

/** A map with known keys; `exactlyOne` lists keys of which exactly one must be present. */
export interface MapSchema {
  type: 'map';
  expected: string;
  fields: Record<string, FieldSchema>;
  exactlyOne?: readonly string[];
}

/** A map with free keys (names) and values of one schema. */
export interface RecordSchema {
  type: 'record';
  expected: string;
  values: Schema;
  keyPattern?: { pattern: RegExp; expected: string };
}

export interface ListSchema {
  type: 'list';
  expected: string;
  items: Schema;
  nonEmpty?: boolean;
}

/** One of several schemas, chosen by the kind of the node (scalar, list or map). */
export interface EitherSchema {
  type: 'either';
  expected: string;
  options: readonly (ScalarSchema | ListSchema | MapSchema | RecordSchema)[];
}

export type Schema = ScalarSchema | MapSchema | RecordSchema | ListSchema | EitherSchema;

export interface FieldSchema {
  schema: Schema;
  required?: boolean;
}

const text = (expected = 'a string'): ScalarSchema => ({ type: 'scalar', accepts: ['string'], expected });
const oneOf = (values: readonly string[], expected = `one of ${values.join(', ')}`): ScalarSchema => ({ type: 'scalar', accepts: ['string'], expected, enum: values });
const checked = (accepts: readonly ScalarType[], expected: string, check: (value: Scalar) => Parsed<unknown>): ScalarSchema => ({ type: 'scalar', accepts, expected, check });
const field = (schema: Schema, required = false): FieldSchema => (required ? { schema, required } : { schema });

const VARIABLE_NAME = { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, expected: 'a name of letters, digits and "_", not starting with a digit' };
/** How an environment may be named (it becomes part of a file name: `Nockerfile.<env>.yml`). */
export const ENVIRONMENT_NAME = { pattern: /^[a-z0-9][a-z0-9_-]*$/, expected: 'a name of lowercase letters, digits, "_" and "-"' };

/** Name → value maps (variables, environment variables): values are strings, numbers or booleans. */
const envMap = (expected: string): RecordSchema => ({
  type: 'record',
  expected,
  keyPattern: VARIABLE_NAME,
  values: { type: 'scalar', accepts: ['string', 'number', 'boolean'], expected: 'a string, number or boolean' },
});

const command: EitherSchema = {
  type: 'either',
  expected: 'a string (shell form) or a list of strings (exec form)',
  options: [
    { ...text('a non-empty string'), check: (v) => (typeof v === 'string' && v.trim() !== '' ? { ok: true, value: v } : { ok: false, message: 'the command is empty', expected: 'a non-empty string' }) },
    { type: 'list', expected: 'a list of strings', items: text(), nonEmpty: true },
  ],
};

const step: MapSchema = {
  type: 'map',
  expected: 'a step: a map with one of run, copy, workdir, env',
  exactlyOne: ['run', 'copy', 'workdir', 'env'],
  fields: {
    run: field({ ...text('a shell command'), check: (v) => (typeof v === 'string' && v.trim() !== '' ? { ok: true, value: v } : { ok: false, message: 'the command is empty', expected: 'a shell command' }) }),
    copy: field(checked(['string'], '"<src> <dest>"', parseCopy)),
    workdir: field(checked(['string'], 'an absolute path', parseAbsolutePath)),
    env: field(envMap('a map of environment variables')),
  },
};

const build = (required: boolean): MapSchema => ({
  type: 'map',
  expected: 'a map with base, network, dependencies, steps',
  fields: {
    base: field(checked(['string'], 'an image reference or "scratch"', parseBaseImage), required),
    network: field(oneOf(['none', 'host'])),
    dependencies: field({ type: 'list', expected: 'a list of artifact references', items: checked(['string'], 'HOST/NAME:RANGE, HOST/NAME:TAG or HOST/NAME@sha256:…', parseDependency) }),
    steps: field({ type: 'list', expected: 'a list of steps', items: step }),
  },
});

const run: MapSchema = {
  type: 'map',
  expected: 'a map with command, entrypoint, ports, environment, user, workdir',
  fields: {
    command: field(command),
    entrypoint: field(command),
    ports: field({ type: 'list', expected: 'a list of ports', items: checked(['string', 'number'], 'a port mapping', parsePort) }),
    environment: field(envMap('a map of environment variables')),
    user: field({ type: 'scalar', accepts: ['string', 'number'], expected: 'a user: NAME, UID or UID:GID' }),
    workdir: field(checked(['string'], 'an absolute path', parseAbsolutePath)),
  },
};

const policies: MapSchema = {
  type: 'map',
  expected: 'a map with security, resources',
  fields: {
    security: field({
      type: 'map',
      expected: 'a map with level, network',
      fields: { level: field(oneOf(['low', 'medium', 'high'])), network: field(oneOf(['none', 'restricted', 'host'])) },
    }),
    resources: field({
      type: 'map',
      expected: 'a map with cpu, memory',
      fields: { cpu: field(checked(['number', 'string'], 'a positive number', parseCpu)), memory: field(checked(['string'], 'a size', parseSize)) },
    }),
  },
};

/** What an `environments:` entry may override, plus `extends`. */
export const environmentOverrideSchema: MapSchema = {
  type: 'map',
  expected: 'a map with extends, variables, build, run, policies',
  fields: {
    extends: field(text('the name of an environment')),
    variables: field(envMap('a map of variables')),
    build: field(build(false)),
    run: field(run),
    policies: field(policies),
  },
};

/** A `Nockerfile.<env>.yml` beside the Nockerfile: the same sections as the file, none required. */
export const overlayFileSchema: MapSchema = {
  type: 'map',
  expected: 'a map with variables, build, run, policies',
  fields: {
    variables: field(envMap('a map of variables')),
    build: field(build(false)),
    run: field(run),
    policies: field(policies),
  },
};

/** A whole Nockerfile. */
export const nockerfileSchema: MapSchema = {
  type: 'map',
  expected: 'a map with version, name, build',
  fields: {
    version: field(oneOf(SUPPORTED_VERSIONS, `a quoted version: ${SUPPORTED_VERSIONS.map((v) => `"${v}"`).join(' or ')}`), true),
    name: field(checked(['string'], 'a lowercase name such as my-app', parseImageName), true),
    environment: field(text('the name of an environment')),
    variables: field(envMap('a map of variables')),
    build: field(build(true), true),
    run: field(run),
    policies: field(policies),
    environments: field({ type: 'record', expected: 'a map of environment names to overrides', keyPattern: ENVIRONMENT_NAME, values: environmentOverrideSchema }),
  },
};
