/**
 * `nocker build` without `run` steps: a Nockerfile's base resolved through the Hub (config
 * only), its `copy` steps as cached layers, `workdir` and `env` as config changes, its `run:`
 * section as the image's runtime defaults and its policies as an annotation; then the push,
 * mounting the base layers from the base repository instead of downloading them.
 */
import { dirname, posix } from 'node:path';
import type { HubClient } from '../../hub/client/client.ts';
import { mountBlob, pushImage, type PushResult } from '../../hub/client/push.ts';
import type { JsonBlob } from '../image/blob.ts';
import { canonicalJson, type JsonValue } from '../image/canonical-json.ts';
import { imageConfig, type HistoryEntry, type RuntimeConfig } from '../image/config.ts';
import { imageManifest, type Descriptor } from '../image/manifest.ts';
import type { BuildStep, Command, Nockerfile } from '../nockerfile/index.ts';
import { DEFAULT_PLATFORM, resolveBase, type ResolvedBase } from './base.ts';
import { collectCopy } from './context.ts';
import { loadIgnore } from './ignore.ts';
import { writeLayer, type LayerBlob } from './layer.ts';
import { LOCK_FILE, lockPath, readLock, writeLock } from './lock.ts';
import { rootKey, StepCache, stepKey } from './plan.ts';

/** The annotation (and label) holding the resolved policies as JSON. */
export const POLICIES_ANNOTATION = 'dev.nocker.policies';

/** A step as it was done. */
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
  /** Resolve the base's tag again instead of using Nockerfile.lock. */
  update?: boolean;
  sourceDateEpoch: number;
  onStep?: (event: StepEvent) => void;
}

/** A built image: its documents, the layers this build made, and the base it stands on. */
export interface BuiltImage {
  config: JsonBlob;
  manifest: JsonBlob;
  /** The layers of the build's own steps (files in the step cache). */
  layers: LayerBlob[];
  base?: ResolvedBase;
  /** The manifest's digest. */
  digest: string;
}

/** Thrown for what this build cannot do yet, such as `run` steps. */
export class UnsupportedStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedStepError';
  }
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

/** `NAME=value` lists with later values replacing earlier ones in place. */
function mergeEnv(env: readonly string[], variables: Record<string, string>): string[] {
  const out = [...env];
  for (const [name, value] of Object.entries(variables)) {
    const index = out.findIndex((e) => e.split('=', 1)[0] === name);
    if (index === -1) out.push(`${name}=${value}`);
    else out[index] = `${name}=${value}`;
  }
  return out;
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
  if (lock.bases[key] !== resolved.digest) await writeLock(lockFile, { version: 1, bases: { ...lock.bases, [key]: resolved.digest } });
  return { ...resolved, name: key };
}

/**
 * Builds the image a Nockerfile describes (no `run` steps yet) and resolves to its documents
 * and new layers. The same context, Nockerfile, base and SOURCE_DATE_EPOCH give the same digest.
 *
 * @example
 * const image = await buildImage({ nockerfile: await loadNockerfile(), baseHub: client, cache: new StepCache(cacheDirectory()), sourceDateEpoch: 0 });
 * image.digest; // 'sha256:…'
 */
export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const nf = options.nockerfile;
  const runStep = nf.build.steps.find((s) => s.kind === 'run');
  if (runStep) throw new UnsupportedStepError(`"${describeStep(runStep)}": run steps are not supported yet by nocker build (they need a container runtime); remove them or use copy, workdir and env`);

  const base = await baseFor(options);
  const platform = base ? { os: base.config.os, architecture: base.config.architecture, variant: base.config.variant } : { ...DEFAULT_PLATFORM, variant: undefined };
  const runtime: RuntimeConfig = { ...(base?.config.config ?? {}) };
  const history: HistoryEntry[] = (base?.config.history ?? base?.layers.map(() => ({})) ?? []) as HistoryEntry[];
  const newHistory: HistoryEntry[] = [];
  const diffIds = [...(base?.config.rootfs.diff_ids ?? [])];
  const layers: LayerBlob[] = [];
  const context = dirname(nf.source);
  // The lock is the build's own record, not part of the project: copies never take it, so that
  // writing it does not change the next build.
  const ignored = await loadIgnore(context);
  const ignore = { ...ignored, ignores: (path: string, directory: boolean) => path === LOCK_FILE || ignored.ignores(path, directory) };
  const total = nf.build.steps.length;
  let key = rootKey({ base: base?.digest ?? 'scratch', platform: `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`, sourceDateEpoch: options.sourceDateEpoch });
  let workdir = runtime.WorkingDir ?? '/';

  for (const [i, step] of nf.build.steps.entries()) {
    const description = describeStep(step);
    let cached = false;
    if (step.kind === 'copy') {
      const dest = posix.resolve(workdir, step.dest) + (step.dest.endsWith('/') ? '/' : '');
      const set = await collectCopy(context, step.src, dest, ignore);
      key = stepKey(key, { ...step, dest }, set.items);
      const hit = options.noCache ? undefined : await options.cache.get(key);
      cached = hit !== undefined;
      const layer = hit?.layer ?? (await options.cache.put(key, await writeLayer(set.entries, { directory: await options.cache.scratch(), sourceDateEpoch: options.sourceDateEpoch }))).layer;
      layers.push(layer);
      diffIds.push(layer.diffId);
      newHistory.push({ created_by: `nocker build: ${description}` });
    } else if (step.kind === 'workdir') {
      key = stepKey(key, step);
      workdir = posix.resolve(workdir, step.path);
      runtime.WorkingDir = workdir;
      newHistory.push({ created_by: `nocker build: ${description}`, empty_layer: true });
    } else if (step.kind === 'env') {
      key = stepKey(key, step);
      runtime.Env = mergeEnv(runtime.Env ?? [], step.variables);
      newHistory.push({ created_by: `nocker build: ${description}`, empty_layer: true });
    }
    options.onStep?.({ index: i + 1, total, description, cached });
  }

  const run = nf.run;
  if (run.command) runtime.Cmd = commandArgs(run.command);
  if (run.entrypoint) {
    runtime.Entrypoint = commandArgs(run.entrypoint);
    if (!run.command) delete runtime.Cmd;
  }
  if (Object.keys(run.environment).length > 0) runtime.Env = mergeEnv(runtime.Env ?? [], run.environment);
  if (run.workdir) runtime.WorkingDir = posix.resolve(workdir, run.workdir);
  if (run.user) runtime.User = run.user;
  if (run.ports.length > 0) {
    const exposed: Record<string, Record<string, never>> = { ...(runtime.ExposedPorts ?? {}) };
    for (const port of run.ports) exposed[`${port.container}/${port.protocol}`] = {};
    runtime.ExposedPorts = exposed;
  }
  const policies = canonicalJson(nf.policies as unknown as JsonValue);
  runtime.Labels = { ...(runtime.Labels ?? {}), [POLICIES_ANNOTATION]: policies };

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
    base: base ? { name: base.name, digest: base.digest } : undefined,
    annotations: { [POLICIES_ANNOTATION]: policies },
  });
  return { config, manifest, layers, base, digest: manifest.digest };
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
 * the build's layers uploaded, then the config and the manifest. Resolves to the push result.
 *
 * @example
 * const { digest } = await pushBuiltImage(client, 'team/app', 'latest', image);
 */
export async function pushBuiltImage(client: HubClient, repository: string, tag: string, image: BuiltImage, onLayer?: (digest: string, outcome: string) => void): Promise<PushResult> {
  if (image.base && image.base.layers.length > 0) {
    if (image.base.host !== client.host) {
      throw new Error(`the base image ${image.base.name} is on another Hub than ${client.host}; nocker build mounts base layers and cannot push across Hubs yet`);
    }
    for (const layer of image.base.layers) onLayer?.(layer.digest, await mountLayer(client, repository, image.base.repository, layer));
  }
  return pushImage(client, repository, tag, { config: image.config, layers: image.layers, manifest: image.manifest }, { onBlob: (blob, outcome) => onLayer?.(blob.digest, outcome) });
}
