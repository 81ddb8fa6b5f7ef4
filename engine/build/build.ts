/**
 * `nocker build`: a Nockerfile's base resolved through the Hub, its `copy` steps as cached
 * layers, its `run` steps executed through an OCI runtime (their changes as layers), `workdir`
 * and `env` as config changes, its `run:` section as the image's runtime defaults and its
 * policies as an annotation; then the push, mounting the base layers from the base repository
 * instead of uploading them, and the build log pushed as an artifact referring to the image.
 */
import { rm } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type { HubClient } from '../../hub/client/client.ts';
import { mountBlob, pushImage, type PushOptions, type PushResult } from '../../hub/client/push.ts';
import type { JsonBlob } from '../image/blob.ts';
import { canonicalJson, type JsonValue } from '../image/canonical-json.ts';
import { imageConfig, mergeEnv, type HistoryEntry, type RuntimeConfig } from '../image/config.ts';
import { imageManifest, type Descriptor } from '../image/manifest.ts';
import type { BuildStep, Command, Nockerfile } from '../nockerfile/index.ts';
import { baseLayerFile, DEFAULT_PLATFORM, resolveBase, type ResolvedBase } from './base.ts';
import { pushArtifact } from '../image/artifact.ts';
import { rfc3339 } from '../image/time.ts';
import { BUILD_LOG_ARTIFACT_TYPE, BUILD_LOG_MEDIA_TYPE, BuildLog, type BuildLogFile } from './build-log.ts';
import { collectCopy } from './context.ts';
import { DEPENDENCIES_ANNOTATION, dependenciesAnnotation, describeDependency, lockedDependencies, resolveDependencies, type DependencyHubs, type ResolvedDependency } from './dependencies.ts';
import { loadIgnore } from './ignore.ts';
import { writeLayer, type LayerBlob } from './layer.ts';
import { LOCK_FILE, lockPath, readLock, writeLock } from './lock.ts';
import { rootKey, StepCache, stepKey } from './plan.ts';
import { runStep, WorkingRootfs, type LayerSource } from './run-step.ts';
import { chooseRuntime, type OciRuntime } from './runtime.ts';

/** The annotation (and label) holding the resolved policies as JSON. */
export const POLICIES_ANNOTATION = 'dev.nocker.policies';
/** The label holding the ports `run.ports` publishes (`HOST:CONTAINER/PROTO`), as a JSON list. */
export const PORTS_LABEL = 'dev.nocker.ports';

/** A step as it was done (a `run` step: as it starts, so that its output follows). */
export interface StepEvent {
  /** 1-based. */
  index: number;
  total: number;
  /** `copy . /app`, `workdir /app`… */
  description: string;
  cached: boolean;
}

export interface BuildOptions {
  nockerfile: Nockerfile;
  /** The Hub holding the base image; not needed for `scratch`. */
  baseHub?: HubClient;
  cache: StepCache;
  /** Ignore cached steps (their layers are rebuilt, and cached again). */
  noCache?: boolean;
  /** Resolve the base's tag and the dependencies again instead of using Nockerfile.lock. */
  update?: boolean;
  /**
   * The Hub of each `build.dependencies` entry (by its registry, undefined for none named);
   * by default `baseHub`, for dependencies on the base's Hub or naming none.
   */
  dependencyHubs?: DependencyHubs;
  sourceDateEpoch: number;
  onStep?: (event: StepEvent) => void;
  /** Each line a `run` step prints, as it comes. */
  onOutput?: (line: string) => void;
  /** Where the runtime is chosen from (`NOCKER_RUNTIME`, `PATH`); the process's by default. */
  env?: Record<string, string | undefined>;
  /** Stops a running step and the build. */
  signal?: AbortSignal;
}

/** A built image: its documents, the layers this build made, and the base it stands on. */
export interface BuiltImage {
  config: JsonBlob;
  manifest: JsonBlob;
  /** The layers of the build's own steps (files in the step cache). */
  layers: LayerBlob[];
  base?: ResolvedBase;
  /** The `build.dependencies` as pinned (recorded in the manifest's `dev.nocker.dependencies`). */
  dependencies: ResolvedDependency[];
  /** The manifest's digest. */
  digest: string;
  /** The build's log (steps and their output), a file the caller removes with {@link discardBuildLog}. */
  log: BuildLogFile;
}

/**
 * How a step is shown: `copy . /app`, `env MODE=release`.
 *
 * @example
 * describeStep({ kind: 'workdir', path: '/app' }); // 'workdir /app'
 */
export function describeStep(step: BuildStep): string {
  switch (step.kind) {
    case 'copy':
      return `copy ${step.src} ${step.dest}`;
    case 'workdir':
      return `workdir ${step.path}`;
    case 'env':
      return `env ${Object.entries(step.variables).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'run':
      return `run ${step.command}`;
  }
}

/**
 * A command as the image config holds it: shell form runs under `/bin/sh -c`.
 *
 * @example
 * commandArgs({ form: 'shell', args: ['npm start'] }); // ['/bin/sh', '-c', 'npm start']
 */
export function commandArgs(command: Command): string[] {
  return command.form === 'shell' ? ['/bin/sh', '-c', command.args.join(' ')] : [...command.args];
}

/** `{ NAME: value }` as `NAME=value` entries. */
function envList(variables: Record<string, string>): string[] {
  return Object.entries(variables).map(([name, value]) => `${name}=${value}`);
}

/** Resolves the base through the lock (or its tag, recording the digest unless pinned). */
async function baseFor(options: BuildOptions): Promise<ResolvedBase | undefined> {
  const { base } = options.nockerfile.build;
  if (base.kind === 'scratch') return undefined;
  const hub = options.baseHub;
  if (!hub) throw new Error(`a Hub is needed to resolve the base image ${base.reference}`);
  if (base.digest) return resolveBase(hub, base.repository, base.digest);
  const tag = base.tag ?? 'latest';
  const key = `${hub.host}/${base.repository}:${tag}`;
  const lockFile = lockPath(options.nockerfile.source);
  const lock = await readLock(lockFile);
  const locked = options.update ? undefined : lock.bases[key];
  const resolved = await resolveBase(hub, base.repository, locked ?? tag);
  if (lock.bases[key] !== resolved.digest) await writeLock(lockFile, { ...lock, bases: { ...lock.bases, [key]: resolved.digest } });
  return { ...resolved, name: key };
}

/** Resolves `build.dependencies` through the lock (or their Hubs, pinning what they answer). */
async function dependenciesFor(options: BuildOptions): Promise<ResolvedDependency[]> {
  const { dependencies } = options.nockerfile.build;
  if (dependencies.length === 0) return [];
  const hubs: DependencyHubs =
    options.dependencyHubs ??
    (async (registry) => {
      const hub = options.baseHub;
      if (hub && (registry === undefined || registry === hub.host)) return hub;
      throw new Error(`a Hub is needed to resolve the dependencies of the build${registry ? ` on ${registry}` : ''}`);
    });
  const lockFile = lockPath(options.nockerfile.source);
  const lock = await readLock(lockFile);
  const resolved = await resolveDependencies(dependencies, hubs, lock.dependencies ?? [], options.update === true);
  await writeLock(lockFile, { ...lock, dependencies: lockedDependencies(lock.dependencies ?? [], resolved) });
  return resolved;
}

/** Where a build's `run` steps execute: the tree, made on the first step that is not cached. */
class RunSteps {
  #rootfs: WorkingRootfs | undefined;
  #runtime: OciRuntime | undefined;

  constructor(private readonly options: BuildOptions) {}

  /** Runs `command` on the image as `stack` describes it; resolves to the step's layer. */
  async run(stack: readonly LayerSource[], step: { description: string; command: string; env: readonly string[]; workdir: string }, log: BuildLog): Promise<LayerBlob> {
    const { options } = this;
    this.#runtime ??= chooseRuntime(options.env ?? process.env);
    this.#rootfs ??= await WorkingRootfs.create(await options.cache.scratch());
    for (const note of await this.#rootfs.catchUp(stack)) log.line(`note: ${note}`);
    const { layer, notes } = await runStep(this.#rootfs, {
      ...step,
      network: options.nockerfile.build.network,
      runtime: this.#runtime,
      sourceDateEpoch: options.sourceDateEpoch,
      layerDirectory: await options.cache.scratch(),
      onLine: (line) => {
        log.line(line);
        options.onOutput?.(line);
      },
      signal: options.signal,
    });
    for (const note of notes) log.line(`note: ${note}`);
    // The command changed the tree in place: it now holds this step's layer too.
    this.#rootfs.markApplied(stack.length + 1);
    return layer;
  }

  async close(): Promise<void> {
    await this.#rootfs?.remove();
  }
}

/** The base's layers as sources for the working tree: downloaded from the Hub on first use. */
function baseLayerSources(options: BuildOptions, base: ResolvedBase | undefined): LayerSource[] {
  if (!base) return [];
  return base.layers.map((layer) => ({
    digest: layer.digest,
    file: () => baseLayerFile(options.baseHub as HubClient, base.repository, layer, options.cache),
  }));
}

/**
 * Builds the image a Nockerfile describes and resolves to its documents, new layers and log. The
 * same context, Nockerfile, base and SOURCE_DATE_EPOCH give the same digest (for `run` steps:
 * as long as their commands do the same thing each time; a cached step is not run again).
 *
 * @example
 * const image = await buildImage({ nockerfile: await loadNockerfile(), baseHub: client, cache: new StepCache(cacheDirectory()), sourceDateEpoch: 0 });
 * image.digest; // 'sha256:…'
 */
export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const nf = options.nockerfile;
  await options.cache.sweep();
  const log = new BuildLog(await options.cache.scratch());
  const runSteps = new RunSteps(options);
  try {
    return await buildSteps(options, nf, log, runSteps);
  } catch (err) {
    await log.finish().catch(() => undefined);
    await rm(log.path, { force: true });
    throw err;
  } finally {
    await runSteps.close();
  }
}

async function buildSteps(options: BuildOptions, nf: Nockerfile, log: BuildLog, runSteps: RunSteps): Promise<BuiltImage> {
  const base = await baseFor(options);
  if (base) log.line(`base ${base.name}@${base.digest}`);
  const dependencies = await dependenciesFor(options);
  for (const dependency of dependencies) log.line(describeDependency(dependency));
  const platform = base ? { os: base.config.os, architecture: base.config.architecture, variant: base.config.variant } : { ...DEFAULT_PLATFORM, variant: undefined };
  const runtime: RuntimeConfig = { ...(base?.config.config ?? {}) };
  const history: HistoryEntry[] = (base?.config.history ?? base?.layers.map(() => ({})) ?? []) as HistoryEntry[];
  const newHistory: HistoryEntry[] = [];
  const diffIds = [...(base?.config.rootfs.diff_ids ?? [])];
  const layers: LayerBlob[] = [];
  // Every layer of the image so far, for the tree a run step executes in.
  const stack: LayerSource[] = baseLayerSources(options, base);
  const context = dirname(nf.source);
  // The lock is the build's own record, not part of the project: copies never take it, so that
  // writing it does not change the next build.
  const ignored = await loadIgnore(context);
  const ignore = { ...ignored, ignores: (path: string, directory: boolean) => path === LOCK_FILE || ignored.ignores(path, directory) };
  const total = nf.build.steps.length;
  let key = rootKey({ base: base?.digest ?? 'scratch', platform: `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`, sourceDateEpoch: options.sourceDateEpoch });
  let workdir = runtime.WorkingDir || '/';
  const addLayer = (layer: LayerBlob, description: string) => {
    layers.push(layer);
    diffIds.push(layer.diffId);
    stack.push({ digest: layer.digest, file: async () => layer.path });
    newHistory.push({ created_by: `nocker build: ${description}` });
  };

  for (const [i, step] of nf.build.steps.entries()) {
    options.signal?.throwIfAborted();
    const description = describeStep(step);
    log.line(`[${i + 1}/${total}] ${description}`);
    let cached = false;
    if (step.kind === 'copy') {
      const dest = posix.resolve(workdir, step.dest) + (step.dest.endsWith('/') ? '/' : '');
      const set = await collectCopy(context, step.src, dest, ignore);
      key = stepKey(key, { ...step, dest }, set.items);
      const hit = options.noCache ? undefined : await options.cache.get(key);
      cached = hit !== undefined;
      addLayer(hit?.layer ?? (await options.cache.put(key, await writeLayer(set.entries, { directory: await options.cache.scratch(), sourceDateEpoch: options.sourceDateEpoch }))).layer, description);
    } else if (step.kind === 'run') {
      // The network a step had can change what it produced; the key chain holds the rest.
      key = stepKey(key, step, [], { network: nf.build.network });
      const hit = options.noCache ? undefined : await options.cache.get(key);
      cached = hit !== undefined;
      // Reported before it runs, so that its output follows the step's line.
      options.onStep?.({ index: i + 1, total, description, cached });
      const layer = hit?.layer ?? (await options.cache.put(key, await runSteps.run(stack, { description, command: step.command, env: runtime.Env ?? [], workdir }, log))).layer;
      addLayer(layer, description);
    } else if (step.kind === 'workdir') {
      key = stepKey(key, step);
      workdir = posix.resolve(workdir, step.path);
      runtime.WorkingDir = workdir;
      newHistory.push({ created_by: `nocker build: ${description}`, empty_layer: true });
    } else if (step.kind === 'env') {
      key = stepKey(key, step);
      runtime.Env = mergeEnv(runtime.Env ?? [], envList(step.variables));
      newHistory.push({ created_by: `nocker build: ${description}`, empty_layer: true });
    }
    if (cached) log.line('(cached)');
    if (step.kind !== 'run') options.onStep?.({ index: i + 1, total, description, cached });
  }

  const run = nf.run;
  if (run.command) runtime.Cmd = commandArgs(run.command);
  if (run.entrypoint) {
    runtime.Entrypoint = commandArgs(run.entrypoint);
    if (!run.command) delete runtime.Cmd;
  }
  if (Object.keys(run.environment).length > 0) runtime.Env = mergeEnv(runtime.Env ?? [], envList(run.environment));
  if (run.workdir) runtime.WorkingDir = posix.resolve(workdir, run.workdir);
  if (run.user) runtime.User = run.user;
  if (run.ports.length > 0) {
    const exposed: Record<string, Record<string, never>> = { ...(runtime.ExposedPorts ?? {}) };
    for (const port of run.ports) exposed[`${port.container}/${port.protocol}`] = {};
    runtime.ExposedPorts = exposed;
  }
  const policies = canonicalJson(nf.policies as unknown as JsonValue);
  runtime.Labels = { ...(runtime.Labels ?? {}), [POLICIES_ANNOTATION]: policies };
  const published = run.ports.filter((port) => port.host !== undefined).map((port) => `${port.host}:${port.container}/${port.protocol}`);
  if (published.length > 0) runtime.Labels[PORTS_LABEL] = JSON.stringify(published);

  const config = imageConfig({
    ...platform,
    diffIds,
    created: options.sourceDateEpoch,
    history: [...history, ...newHistory],
    config: runtime,
  });
  const manifestLayers: Descriptor[] = [...(base?.layers ?? []), ...layers];
  const manifest = imageManifest({
    config,
    layers: manifestLayers,
    created: options.sourceDateEpoch,
    // org.opencontainers.image.base.*: the reference as resolved (HOST/NAME:TAG, or @DIGEST when
    // pinned) and the digest of the image manifest whose layers were used — for a multi-platform
    // base, the linux/amd64 image's, not the index's, so that the base's layers can be matched.
    base: base ? { name: base.name, digest: base.digest } : undefined,
    annotations: { [POLICIES_ANNOTATION]: policies, ...(dependencies.length > 0 ? { [DEPENDENCIES_ANNOTATION]: dependenciesAnnotation(dependencies) } : {}) },
  });
  log.line(`built ${manifest.digest}`);
  return { config, manifest, layers, base, dependencies, digest: manifest.digest, log: await log.finish() };
}

/**
 * Makes sure the target repository has a base layer: there already, or mounted from the base
 * repository. Throws a clear error when the Hub cannot mount it (base layers are never downloaded).
 *
 * @example
 * await mountLayer(client, 'team/app', 'base/alpine', { mediaType, digest, size });
 */
export async function mountLayer(client: HubClient, repository: string, from: string, layer: Descriptor): Promise<'mounted' | 'exists'> {
  const outcome = await mountBlob(client, repository, from, layer.digest);
  if (outcome !== 'declined') return outcome;
  throw new Error(`the Hub at ${client.host} could not mount base layer ${layer.digest} from ${from} into ${repository}; nocker build does not download base layers, so the base must be on the same Hub and readable`);
}

/**
 * Pushes a built image under `repository:tag`: base layers mounted from the base repository,
 * the build's layers uploaded, then the config and the manifest; then its build log as an
 * artifact whose subject is the image. Resolves to the image's push result.
 *
 * @example
 * const { digest } = await pushBuiltImage(client, 'team/app', 'latest', image);
 */
export async function pushBuiltImage(client: HubClient, repository: string, tag: string, image: BuiltImage, onLayer?: (digest: string, outcome: string) => void, pushOptions: PushOptions = {}): Promise<PushResult> {
  if (image.base && image.base.layers.length > 0) {
    if (image.base.host !== client.host) {
      throw new Error(`the base image ${image.base.name} is on another Hub than ${client.host}; nocker build mounts base layers and cannot push across Hubs yet`);
    }
    for (const layer of image.base.layers) onLayer?.(layer.digest, await mountLayer(client, repository, image.base.repository, layer));
  }
  const result = await pushImage(client, repository, tag, { config: image.config, layers: image.layers, manifest: image.manifest }, { ...pushOptions, onBlob: (blob, outcome) => onLayer?.(blob.digest, outcome) });
  await pushBuildLog(client, repository, image, pushOptions);
  return result;
}

/**
 * Pushes the build log of `image` (already on the Hub) as an artifact referring to it: listed by
 * `GET /v2/REPOSITORY/referrers/DIGEST` with artifactType {@link BUILD_LOG_ARTIFACT_TYPE}.
 * Resolves to the artifact's digest.
 *
 * @example
 * await pushBuildLog(client, 'team/app', image);
 */
export async function pushBuildLog(client: HubClient, repository: string, image: BuiltImage, pushOptions: PushOptions = {}): Promise<string> {
  return pushArtifact(
    client,
    repository,
    {
      artifactType: BUILD_LOG_ARTIFACT_TYPE,
      layer: { mediaType: BUILD_LOG_MEDIA_TYPE, digest: image.log.digest, size: image.log.size, path: image.log.path, annotations: { 'org.opencontainers.image.title': 'build.log' } },
      subject: { mediaType: image.manifest.mediaType, digest: image.digest, size: image.manifest.size },
      annotations: { 'org.opencontainers.image.created': rfc3339(Math.floor(Date.now() / 1000)) },
    },
    pushOptions.signal,
  );
}

/** Removes a built image's log file (pushed or not, it is not needed after the command). */
export async function discardBuildLog(image: BuiltImage): Promise<void> {
  await rm(image.log.path, { force: true });
}
