/**
 * A `run` step: the image's root filesystem as it stands before the step, laid down in a working
 * runtime bundle (layers applied in order), the command run there through the OCI runtime, and
 * what the command changed written as the step's layer.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeLayer, type LayerBlob } from './layer.ts';
import { scratchName } from './scratch.ts';
import { bundleConfig, runContainer, RUNTIME_MOUNT_POINTS, TAIL_LINES, type OciRuntime } from './runtime.ts';
import { diffSnapshots, snapshot } from './snapshot.ts';
import { applyLayer, resolveInRoot } from './unpack.ts';

/** A build step whose command failed: the build stops with its exit code and last lines. */
export class RunStepError extends Error {
  constructor(
    readonly step: string,
    readonly exitCode: number,
    readonly tail: readonly string[],
  ) {
    const shown = tail.length > 0 ? `; its last ${tail.length === 1 ? 'line' : `${tail.length} lines`}:\n${tail.map((l) => `    ${l}`).join('\n')}` : ' and printed nothing';
    super(`step "${step}" failed with exit code ${exitCode}${shown}`);
    this.name = 'RunStepError';
  }
}

/** A layer of the image being built, as a file on disk (fetched on first use for base layers). */
export interface LayerSource {
  digest: string;
  file(): Promise<string>;
}

/** The PATH a step gets when the image sets none (Docker's default). */
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Host files a step on the host network sees, so that names resolve as on the host. */
const HOST_NETWORK_FILES = ['/etc/resolv.conf', '/etc/hosts'];

/**
 * A runtime bundle whose `rootfs/` holds the image as built so far. Layers are applied once each
 * and in order; a `run` step then changes the tree in place, so it stays current for the next.
 */
export class WorkingRootfs {
  #applied = 0;

  private constructor(
    readonly bundle: string,
    readonly root: string,
  ) {}

  /** A new, empty bundle in a fresh directory under `parent`. */
  static async create(parent: string): Promise<WorkingRootfs> {
    const bundle = join(parent, scratchName('bundle'));
    await mkdir(bundle, { mode: 0o700 });
    const root = join(bundle, 'rootfs');
    await mkdir(root, { mode: 0o755 });
    return new WorkingRootfs(bundle, root);
  }

  /** Applies the layers of `stack` past the ones already applied; resolves to what was skipped. */
  async catchUp(stack: readonly LayerSource[]): Promise<string[]> {
    const notes: string[] = [];
    for (; this.#applied < stack.length; this.#applied++) {
      const report = await applyLayer(this.root, await (stack[this.#applied] as LayerSource).file());
      notes.push(...report.notes);
    }
    return notes;
  }

  /** Records that the tree already holds the first `count` layers (a run step changed it so). */
  markApplied(count: number): void {
    this.#applied = count;
  }

  async remove(): Promise<void> {
    await rm(this.bundle, { recursive: true, force: true });
  }
}

/** What a `run` step needs besides the tree it runs in. */
export interface RunStepInput {
  /** The step as shown in messages: `run make`. */
  description: string;
  /** A shell command, run as `/bin/sh -c COMMAND`. */
  command: string;
  /** `NAME=value` pairs: the image's environment at this step. */
  env: readonly string[];
  /** An absolute path inside the image; created when missing. */
  workdir: string;
  network: 'none' | 'host';
  runtime: OciRuntime;
  sourceDateEpoch: number;
  /** Where the layer file goes. */
  layerDirectory: string;
  onLine: (line: string) => void;
  signal?: AbortSignal;
}

/** Makes the runtime's mount points, and for the host network the files it binds, in the tree; resolves to the paths it made and the binds. */
async function prepareMountTargets(root: string, network: RunStepInput['network']): Promise<{ made: string[]; binds: Record<string, string> }> {
  const made: string[] = [];
  for (const point of RUNTIME_MOUNT_POINTS) {
    if (!(await lstat(join(root, point)).catch(() => undefined))) {
      await mkdir(join(root, point), { mode: 0o755 });
      made.push(point);
    }
  }
  const binds: Record<string, string> = {};
  const etc = await lstat(join(root, 'etc')).catch(() => undefined);
  if (network === 'host' && (!etc || etc.isDirectory())) {
    for (const file of HOST_NETWORK_FILES.filter((f) => existsSync(f))) {
      const target = join(root, file);
      if (!(await lstat(target).catch(() => undefined))) {
        await mkdir(join(root, 'etc'), { recursive: true, mode: 0o755 });
        await writeFile(target, '');
        made.push(file.slice(1));
      }
      binds[file] = file;
    }
  }
  return { made, binds };
}

/**
 * Runs a `run` step's command in `rootfs` through the OCI runtime and writes what it changed
 * (added, changed and deleted paths; whiteouts for deletions) as a layer. A non-zero exit is a
 * {@link RunStepError} with the step's last lines of output.
 *
 * @example
 * const { layer } = await runStep(rootfs, { description: 'run make', command: 'make', env: ['PATH=/bin'], workdir: '/src', network: 'host', runtime, sourceDateEpoch: 0, layerDirectory, onLine: console.log });
 */
export async function runStep(rootfs: WorkingRootfs, input: RunStepInput): Promise<{ layer: LayerBlob; notes: string[] }> {
  const { made, binds } = await prepareMountTargets(rootfs.root, input.network);
  // Neither the mount points nor the bound files are the step's doing: they never go into its layer.
  const excluded = new Set<string>([...RUNTIME_MOUNT_POINTS, ...Object.keys(binds).map((f) => f.slice(1))]);
  const before = await snapshot(rootfs.root, excluded);
  // A missing working directory is made by the step, so it is part of the step's layer.
  await mkdir(await resolveInRoot(rootfs.root, input.workdir), { recursive: true, mode: 0o755 });
  const env = input.env.some((e) => e.startsWith('PATH=')) ? [...input.env] : [DEFAULT_PATH, ...input.env];
  // stderr joined to stdout inside the container: the runtime copies the two through separate
  // pipes, which would reorder the lines a failure shows.
  const config = bundleConfig({ args: ['/bin/sh', '-c', `exec 2>&1\n${input.command}`], env, cwd: input.workdir, network: input.network, binds });
  await writeFile(join(rootfs.bundle, 'config.json'), JSON.stringify(config));
  const id = `nocker-build-${process.pid}-${randomBytes(6).toString('hex')}`;
  const { exitCode, tail } = await runContainer(input.runtime, rootfs.bundle, id, input.onLine, input.signal);
  // A step killed because the build was stopped did not fail: the build was stopped.
  input.signal?.throwIfAborted();
  if (exitCode !== 0) throw new RunStepError(input.description, exitCode, tail.slice(-TAIL_LINES));
  const changes = await diffSnapshots(rootfs.root, before, await snapshot(rootfs.root, excluded));
  const layer = await writeLayer(changes.entries, { directory: input.layerDirectory, sourceDateEpoch: input.sourceDateEpoch });
  // Removed only now: removing them earlier would touch /etc and put it in the layer.
  await Promise.all(made.filter((p) => p.startsWith('etc/')).map((p) => rm(join(rootfs.root, p), { force: true })));
  return { layer, notes: changes.notes };
}
