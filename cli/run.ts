/**
 * `nocker run`: an image from the Hub, checked against the environment's trust and run
 * policies, run in isolation by an OCI runtime — in the foreground, or detached under a
 * supervisor process.
 */
import { resolve } from 'node:path';
import { chooseRuntime } from '../engine/build/runtime.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { parseSize } from '../engine/nockerfile/values.ts';
import { imageToSign } from '../engine/sign/image.ts';
import { ContainerStore } from '../engine/runtime/containers.ts';
import { createContainer, requireRoot, type LocalImage } from '../engine/runtime/create.ts';
import { DEFAULT_RUN_ENVIRONMENT, formatSize, signaturesRequiredIn, type BindMount, type NetworkMode, type RunRequest, type SecurityLevel } from '../engine/runtime/policy.ts';
import { parsePublish } from '../engine/runtime/recorded.ts';
import { supervise } from '../engine/runtime/supervisor.ts';
import { startDetachedSupervisor } from '../engine/runtime/supervisor-main.ts';
import { checkTrust, trustedKeys } from '../engine/runtime/trust.ts';
import type { ContainerRecord, RestartPolicy } from '../engine/runtime/types.ts';
import { type CommandIO, commandOutput, failureText, parseCommandLine, processIO, splitAtPositional } from './io.ts';
import { shortDigest } from './progress.ts';
import { connect, dataHomePath, imageStorePath, layoutName, platformOption, pullToLayout } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker run`. */
export const RUN_HELP = `Usage:
  nocker run [OPTIONS] IMAGE [COMMAND [ARG…]]
      Pull IMAGE from the Hub (only the blobs not already in the local store), check it against
      the trust and run policies of the environment, and run COMMAND (default: the image's
      entrypoint and command) in a container through runc or crun. In the foreground the
      container's output is printed as it comes and its exit code is nocker's; with -d it runs
      under a supervisor process and its id is printed.

      Environments (--env, default production):
        production   the policies recorded in the image by "nocker build"; a valid signature
                     by a trusted key is required; the command line may only tighten
        testing      no network, the container removed when it ends; unsigned images run
        development  low security, bind mounts (-v) allowed, unsigned images run; the command
                     line may loosen anything
        embedded     the tightest limits: high security, no network, at most 64 MiB, half a
                     CPU, 64 processes; signatures required
        any other    the image's policies (build it with "nocker build --env NAME"), as strictly
                     as production

      Trusted keys: --verify-key files, then every *.pub file in ~/.config/nocker/trusted-keys
      ($XDG_CONFIG_HOME/nocker/trusted-keys). Without any, the Hub's trust policy for the
      environment decides. Every layer is checked against its digest and its diffID.

      Exit codes: the container's; 125 when nocker or the runtime failed (nothing ran, or the
      policy refused), 126 when the command cannot be executed, 127 when it is not found;
      137 after a kill, with "killed: out of memory" said when the memory limit was the cause.

  Options:
      --env NAME             the environment whose policies apply (default production)
      -d, --detach           run in the background; print the container's id
      -i, --interactive      feed nocker's standard input to the container (foreground only;
                             no terminal is allocated: -t is not supported)
      --name NAME            name the container (default: a generated adjective_noun)
      --rm                   remove the container when it ends
      --restart POLICY       no (default), on-failure[:N] or always; waits double from 100 ms
      -e, --env-var K=V      set an environment variable (also: -e K, taken from here)
      -p, --publish [IP:]HOST:CONTAINER[/tcp]
                             publish a container port (restricted network; default IP 0.0.0.0)
      -v, --volume SRC:DST[:ro]
                             bind-mount a host directory (development only)
      -u, --user USER[:GROUP]
                             run as this user (names from the image's /etc/passwd)
      -w, --workdir DIR      the working directory inside the container
      -m, --memory SIZE      memory limit: 64m, 512MiB, 2g…
      --cpus N               CPU limit, fractions allowed
      --network MODE         none, restricted (own namespace, published ports only) or host
      --security LEVEL       low, medium or high
      --verify-key PUB       a trusted public key (repeatable)
      --platform P           the platform to pick from an index (default linux/amd64)
      --hub HUB              the Hub, when IMAGE does not name one
      -q, --quiet            no progress on stderr

  Example:
      nocker run 127.0.0.1:5000/sample/app:latest --verify-key cosign.pub
      nocker run --env development -v ./src:/app 127.0.0.1:5000/sample/app sh -c 'ls /app'
      nocker run -d --name web -p 8080:3000 --restart on-failure:3 127.0.0.1:5000/team/web:v1
`;

const RUN_OPTIONS = {
  env: { type: 'string' },
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  name: { type: 'string' },
  rm: { type: 'boolean' },
  restart: { type: 'string' },
  'env-var': { type: 'string', short: 'e', multiple: true },
  publish: { type: 'string', short: 'p', multiple: true },
  volume: { type: 'string', short: 'v', multiple: true },
  user: { type: 'string', short: 'u' },
  workdir: { type: 'string', short: 'w' },
  memory: { type: 'string', short: 'm' },
  cpus: { type: 'string' },
  network: { type: 'string' },
  security: { type: 'string' },
  'verify-key': { type: 'string', multiple: true },
  platform: { type: 'string' },
  hub: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** `--restart no|on-failure[:N]|always`. */
export function parseRestart(text: string | undefined): RestartPolicy {
  if (text === undefined || text === 'no') return { kind: 'no' };
  if (text === 'always') return { kind: 'always' };
  const match = /^on-failure(?::(\d+))?$/.exec(text);
  if (!match) throw new UsageError(`--restart ${text}: expected no, on-failure[:N] or always`);
  return match[1] === undefined ? { kind: 'on-failure' } : { kind: 'on-failure', maxRetries: Number(match[1]) };
}

/** `--memory`: Docker's `64m`, `1g`, `512k` (powers of 1024), or a Nockerfile size (`64MiB`, `2GB`). */
export function parseMemory(text: string): number {
  const docker = /^(\d+)([bkmg])?$/i.exec(text.trim());
  if (docker) {
    const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(docker[2] ?? 'b').toLowerCase() as 'b' | 'k' | 'm' | 'g'];
    return Number(docker[1]) * unit;
  }
  const size = parseSize(text);
  if (!size.ok) throw new UsageError(`--memory ${text}: expected a size such as 64m, 512MiB or 2GB`);
  return size.value;
}

function parseChoice<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${flag} ${text}: expected ${choices.join(', ')}`);
  return text as T;
}

/** `-v SRC:DST[:ro|rw]`, SRC made absolute. */
export function parseVolume(text: string): BindMount {
  const parts = text.split(':');
  const [source, destination, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || !source || !destination?.startsWith('/') || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new UsageError(`-v ${text}: expected HOST_DIR:CONTAINER_DIR[:ro], the container path absolute`);
  }
  return { source: resolve(source), destination, readonly: mode === 'ro' };
}

/** `-e K=V`, or `-e K` taking K from nocker's own environment (left out when unset there). */
function environmentVariables(values: readonly string[], env: Record<string, string | undefined>): string[] {
  return values.flatMap((value) => {
    if (value.includes('=')) return [value];
    const here = env[value];
    return here === undefined ? [] : [`${value}=${here}`];
  });
}

/** The run request the command line makes. */
function runRequest(values: { [K in keyof typeof RUN_OPTIONS]?: unknown }, environment: string): RunRequest {
  const cpus = values.cpus === undefined ? undefined : Number(values.cpus);
  if (cpus !== undefined && !(Number.isFinite(cpus) && cpus > 0)) throw new UsageError(`--cpus ${String(values.cpus)}: expected a positive number such as 0.5 or 2`);
  const network = parseChoice<NetworkMode>('network', values.network as string | undefined, ['none', 'restricted', 'host']);
  const security = parseChoice<SecurityLevel>('security', values.security as string | undefined, ['low', 'medium', 'high']);
  let publish;
  try {
    publish = ((values.publish as string[] | undefined) ?? []).map((p) => parsePublish(p, '0.0.0.0'));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    environment,
    publish,
    volumes: ((values.volume as string[] | undefined) ?? []).map(parseVolume),
    ...(values.user !== undefined ? { user: values.user as string } : {}),
    ...(values.memory !== undefined ? { memory: parseMemory(values.memory as string) } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(network ? { network } : {}),
    ...(security ? { security } : {}),
  };
}

/** What the end of a run says beyond its exit code: an out-of-memory kill, a runtime error. */
export function endingText(record: ContainerRecord): string | undefined {
  if (record.oomKilled) return `killed: out of memory, limit ${record.memoryLimit === undefined ? 'unknown' : formatSize(record.memoryLimit)}`;
  return record.error;
}

/** `nocker run [OPTIONS] IMAGE [COMMAND…]`; every failure of nocker's own is exit code 125, as Docker's. */
export async function runCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    io.stderr.write(failureText(err, io.env, 'run'));
    return 125;
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { own, rest } = splitAtPositional(argv, RUN_OPTIONS);
  const parsed = parseCommandLine(own, io, RUN_OPTIONS, RUN_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = positionals[0];
  if (ref === undefined) throw new UsageError('run needs an image: nocker run IMAGE [COMMAND…]');
  const environment = values.env ?? DEFAULT_RUN_ENVIRONMENT;
  const request = runRequest(values, environment);
  const restart = parseRestart(values.restart);
  if (values.tty === true) throw new UsageError('-t is not supported yet: nocker run gives containers no terminal; use -i to feed standard input');
  if (values.interactive === true && values.detach === true) throw new UsageError('-i and -d cannot go together: a detached container has no input to read');
  if (values.rm === true && restart.kind !== 'no') throw new UsageError('--rm and --restart cannot go together: a removed container cannot restart');
  const platform = platformOption(values.platform);
  requireRoot();
  const runtime = chooseRuntime(io.env);
  const output = commandOutput(io, { quiet: values.quiet === true });
  const { report } = output;

  // The signature covers a digest: check it first, then pull that digest, not the tag again.
  const remote = await connect(io, ref, values.hub, environment);
  const signed = await imageToSign(remote.client, remote.reference.repository, remote.reference.digest ?? remote.reference.tag ?? 'latest');
  if (signaturesRequiredIn(environment)) {
    const verdict = await checkTrust(remote.client, signed, await trustedKeys(values['verify-key'] ?? [], io.env), environment);
    if (!verdict.trusted) throw new Error(`refused to run ${signed.name}@${signed.descriptor.digest} in ${environment}: ${verdict.reason}`);
    report.line(`${signed.name}@${shortDigest(signed.descriptor.digest)}: ${verdict.reason}`);
  }
  const pinned = { ...remote, reference: { ...remote.reference, digest: signed.descriptor.digest } };
  const layout = await OciLayout.open(imageStorePath(io.env));
  let pulled;
  try {
    pulled = await pullToLayout(
      pinned,
      layout,
      layoutName(remote, false),
      platform,
      (digest, outcome) => {
        if (outcome === 'downloaded') output.blob(digest, 'downloaded');
      },
      (digest, done, total) => report.transfer(digest, done, total),
    );
  } finally {
    report.clear();
  }
  const manifest = JSON.parse((await layout.readBlob(pulled.manifestDigest)).toString('utf8')) as LocalImage['manifest'];
  const config = JSON.parse((await layout.readBlob(manifest.config.digest)).toString('utf8')) as LocalImage['config'];

  const dataHome = dataHomePath(io.env);
  const store = new ContainerStore(dataHome);
  const { record } = await createContainer({
    store,
    dataHome,
    layout,
    image: { name: ref, manifestDigest: pulled.manifestDigest, manifest, config },
    request,
    command: rest,
    env: environmentVariables(values['env-var'] ?? [], io.env),
    ...(values.workdir ? { workdir: values.workdir } : {}),
    ...(values.name ? { name: values.name } : {}),
    restart,
    autoRemove: values.rm === true,
    runtime,
    onLayer: (index, total) => report.line(`unpacking layer ${index + 1}/${total}`),
  });

  if (values.detach === true) {
    await startDetachedSupervisor(store, record.id);
    io.stdout.write(`${record.id}\n`);
    return 0;
  }
  return runInForeground(store, record.id, io, values.interactive === true);
}

/** Runs the container here, its output on ours; Ctrl-C or SIGTERM stops it (SIGTERM, then SIGKILL). */
async function runInForeground(store: ContainerStore, id: string, io: CommandIO, interactive: boolean): Promise<number> {
  const interrupt = new AbortController();
  const stop = () => interrupt.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const ended = await supervise(store, id, {
      onOutput: (stream, chunk) => void (stream === 'stdout' ? io.stdout.write(chunk) : io.stderr.write(chunk)),
      signal: interrupt.signal,
      ...(interactive ? { stdin: io.stdin } : {}),
    });
    const ending = endingText(ended);
    if (ending) io.stderr.write(`nocker: ${ending}\n`);
    return ended.exitCode ?? 125;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
