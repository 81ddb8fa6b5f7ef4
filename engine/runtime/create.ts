/**
 * The runtime manager's first half: from a pulled image to a container ready to start — the
 * policy enforced, the image's root filesystem cached and overlaid, the runtime bundle written.
 * Starting it is the supervisor's job.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciRuntime } from '../build/runtime.ts';
import type { RuntimeConfig } from '../image/config.ts';
import type { OciLayout } from '../image/layout.ts';
import { swapAccounted } from './cgroups.ts';
import { mountContainerRoot } from './container-root.ts';
import type { ContainerStore } from './containers.ts';
import { effectivePolicy, type EffectivePolicy, type RunRequest } from './policy.ts';
import { declaredPorts, recordedPolicies, recordedPorts } from './recorded.ts';
import { cachedRootfs, type CachedRootfsOptions } from './rootfs-cache.ts';
import { loadDefaultSeccomp } from './seccomp.ts';
import { capabilitiesFor, processArgs, runtimeSpec } from './spec.ts';
import type { ContainerRecord, PublishedPort, RestartPolicy } from './types.ts';
import { resolveUser, UNPRIVILEGED_USER } from './user.ts';

/** An image in the local store, as the container is made from it. */
export interface LocalImage {
  /** The reference as given. */
  name: string;
  manifestDigest: string;
  manifest: CachedRootfsOptions['manifest'];
  config: CachedRootfsOptions['config'] & { config?: RuntimeConfig };
}

/** Everything a new container is made from. */
export interface CreateOptions {
  store: ContainerStore;
  dataHome: string;
  layout: OciLayout;
  image: LocalImage;
  request: RunRequest;
  /** The command after the image (replaces the image's Cmd). */
  command: string[];
  /** `-e KEY=VALUE`. */
  env: string[];
  workdir?: string;
  name?: string;
  restart: RestartPolicy;
  /** `--rm`; the testing environment implies it. */
  autoRemove: boolean;
  runtime: OciRuntime;
  /** Called as each layer starts being applied into the cache, from 0 (not at all on a cache hit). */
  onLayer?: (index: number, total: number) => void;
}

/**
 * Throws unless this process can run containers: as root. Rootless containers need what nocker
 * does not set up yet, and the error says what that is.
 *
 * @example
 * requireRoot(); // throws for uid 1000
 */
export function requireRoot(uid = process.getuid?.()): void {
  if (uid === 0) return;
  throw new Error(
    'nocker run needs root for now: rootless containers need a user namespace with subordinate ids (newuidmap and newgidmap from Debian\'s uidmap, your user in /etc/subuid and /etc/subgid) and cgroup v2 delegated to your user, which nocker does not set up yet; run it as root (sudo nocker run …)',
  );
}

/** The host files a container on the host's network sees, as the build's run steps do. */
function hostNetworkFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of ['/etc/resolv.conf', '/etc/hosts']) if (existsSync(path)) files[path] = path;
  return files;
}

/**
 * The ports to publish: the image's `run.ports`, with `-p` replacing any for the same container
 * port; none on the host's network (the container binds host ports itself) or on none.
 */
function portsToPublish(policy: EffectivePolicy, recorded: PublishedPort[]): PublishedPort[] {
  if (policy.network !== 'restricted') return [];
  const asked = new Set(policy.publish.map((p) => `${p.containerPort}/${p.protocol}`));
  return [...recorded.filter((p) => !asked.has(`${p.containerPort}/${p.protocol}`)), ...policy.publish];
}

/**
 * Makes a container of `image`: enforces the policy (throwing a `PolicyViolationError` when the
 * command line loosens it), caches and overlays the root filesystem, resolves the user inside
 * the image, and writes `config.json` into the container's bundle. A failure part-way removes
 * what was made.
 *
 * @example
 * const { record, policy } = await createContainer({ store, dataHome, layout, image, request, command: [], env: [], restart: { kind: 'no' }, autoRemove: false, runtime });
 * await supervise(store, record.id);
 */
export async function createContainer(options: CreateOptions): Promise<{ record: ContainerRecord; policy: EffectivePolicy }> {
  const { image, store } = options;
  const runtimeConfig = image.config.config ?? {};
  const policy = effectivePolicy(recordedPolicies(runtimeConfig), options.request, declaredPorts(runtimeConfig));
  const args = processArgs(runtimeConfig, options.command);
  const rootfs = await cachedRootfs({ dataHome: options.dataHome, layout: options.layout, manifest: image.manifest, config: image.config, ...(options.onLayer ? { onLayer: options.onLayer } : {}) });

  const userSpec = policy.user ?? (runtimeConfig.User || (policy.security === 'high' ? UNPRIVILEGED_USER : '0:0'));
  const record = await store.create({
    ...(options.name ? { name: options.name } : {}),
    image: image.name,
    imageDigest: image.manifestDigest,
    configDigest: image.manifest.config.digest,
    command: args,
    environment: policy.environment,
    restart: options.restart,
    autoRemove: options.autoRemove || policy.throwaway,
    ...(policy.memory !== undefined ? { memoryLimit: policy.memory } : {}),
    ports: portsToPublish(policy, recordedPorts(runtimeConfig)),
    user: userSpec,
    runtime: options.runtime.path,
  });
  try {
    const containerDir = store.dir(record.id);
    const root = await mountContainerRoot(rootfs, containerDir);
    const user = await resolveUser(root.path, userSpec);
    const capabilities = capabilitiesFor(policy);
    const spec = runtimeSpec({
      id: record.id,
      image: runtimeConfig,
      policy,
      args,
      env: options.env,
      ...(options.workdir ? { workdir: options.workdir } : {}),
      user,
      ...(policy.security !== 'low' ? { seccomp: await loadDefaultSeccomp(capabilities) } : {}),
      swapAccounted: swapAccounted(),
      ...(policy.network === 'host' ? { hostFiles: hostNetworkFiles() } : {}),
    });
    await writeFile(join(store.bundleDir(record.id), 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
    return { record, policy };
  } catch (err) {
    await store.remove(record.id).catch(() => undefined);
    throw err;
  }
}
