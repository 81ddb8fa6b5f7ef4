/**
 * `nocker build`: build the image a Nockerfile describes, report each step (and what its `run`
 * steps print) and the image's digest, and push it with `--push`.
 */
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { buildImage, describeStep, discardBuildLog, pushBuiltImage, type BuiltImage, type StepEvent } from '../engine/build/build.ts';
import { describeDependency } from '../engine/build/dependencies.ts';
import { cacheDirectory, StepCache } from '../engine/build/plan.ts';
import { saveBuiltImage } from '../engine/build/save.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { parseImageReference, type ImageReference } from '../engine/image/reference.ts';
import { sourceDateEpoch } from '../engine/image/time.ts';
import { signImage } from '../engine/sign/image.ts';
import { readPrivateKeyFile } from '../engine/sign/keys.ts';
import { loadNockerfile, NockerfileError, type BuildStep, type Nockerfile } from '../engine/nockerfile/index.ts';
import { credentialsFor, requireCredentials } from './docker-config.ts';
import { commandOutput, failureText, hubUrlFrom, OUTPUT_OPTIONS, parseCommandLine, processIO, type BlobRecord, type CommandIO, type JsonResult } from './io.ts';
import { imageStorePath } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker build`. */
export const BUILD_HELP = `Usage:
  nocker build [-f Nockerfile.yml] [--env NAME] [-t REF] [--push [--sign --key KEY]] [--no-cache] [--update] [--hub HUB] [-q] [--json]
      Build the image a Nockerfile describes. The base image is resolved on the Hub (only its
      config is fetched) and its digest recorded in Nockerfile.lock beside the Nockerfile; copy
      steps become layers, cached in $NOCKER_CACHE_DIR (default ~/.cache/nocker) so that an
      unchanged step is reused; workdir and env change the config; the run section sets the
      image's command, environment, user and ports; the policies go into an annotation. Files
      listed in .nockerignore (and Nockerfile.lock) are left out of copies. Run steps run
      /bin/sh -c COMMAND in the image through an OCI runtime (runc, or crun on cgroup v2;
      $NOCKER_RUNTIME picks) and need root; what they change becomes their layer.

      Each entry of build.dependencies (HOST/NAME:RANGE, :TAG or @DIGEST) is resolved on its Hub,
      a range to the highest tag satisfying it, and pinned in Nockerfile.lock too; the image lists
      them, HOST/NAME:TAG@DIGEST, in its dev.nocker.dependencies annotation. Their content is not
      pulled into the build.

      The same context and Nockerfile always give the same digest (timestamps are clamped to
      $SOURCE_DATE_EPOCH, default 0). Without --push the image is kept in the local store,
      $NOCKER_DATA_HOME/images (default ~/.local/share/nocker/images), with its base layers,
      named HOST/NAME:TAG for "nocker push" to send later; its digest is printed either way.

      Each step is reported on stderr as it is done, and the lines a run step prints follow it,
      indented by 4 spaces; with --push each blob follows once it is on the Hub. On a terminal
      the step under way and the bytes of the upload under way are shown too, redrawn in place.
      A failing run step is reported with its exit code and its last lines of output.

  Options:
      -f, --file FILE   the Nockerfile (default Nockerfile.yml)
      --env NAME        the environment to apply
      -t, --tag REF     the image to build, HOST:PORT/NAME[:TAG] (default HUB/<name>:latest)
      --push            push the image (base layers are mounted from the base repository)
      --sign            with --push: sign the pushed image as "nocker sign" does
      --key KEY         the private key --sign signs with ($NOCKER_KEY_PASSWORD opens an encrypted one)
      --no-cache        rebuild every step
      --update          resolve the base's tag and build.dependencies again instead of using Nockerfile.lock
      --hub HUB         the Hub, when REF does not name one (default $NOCKER_HUB, else 127.0.0.1:5000)
      -q, --quiet       print nothing on stderr but errors (run steps' output included)
      --json            print one JSON object instead of the digest: name (HOST/NAME:TAG), digest,
                        pushed (true with --push), base (name and digest, or null), dependencies
                        (each with ref, tag (null for a digest pin) and digest), config (its
                        digest), layers (each with digest, size, from "base" or "build", and
                        outcome when one is known: "pushed", "exists" or "mounted" with --push,
                        "downloaded", "copied" or "present" in the local store), signature (its
                        artifact's digest, with --sign)

  Example:
      nocker login 127.0.0.1:5000 -u admin --password-stdin < secret
      nocker build -f Nockerfile.yml -t 127.0.0.1:5000/team/app:v1 --push
      nocker build -t 127.0.0.1:5000/team/app:v1 --push --sign --key ci.key    # in CI, logged in as a robot
      nocker build -q --json -t 127.0.0.1:5000/team/app:v1 --push | jq -r '.layers[].digest'
`;

function hubFor(io: CommandIO, reference: ImageReference | undefined, flag: string | undefined): string {
  if (reference?.hub && flag !== undefined && hubHost(hubUrlFrom(io, flag)) !== hubHost(hubUrlFrom(io, reference.hub))) {
    throw new UsageError(`the reference names the Hub ${reference.hub} and --hub names ${flag}`);
  }
  return hubUrlFrom(io, reference?.hub ?? flag);
}

/** A client for the Hub holding the base image, with whatever credentials are saved for it. */
async function baseClient(io: CommandIO, nockerfile: Nockerfile, hubUrl: string, target: HubClient | undefined): Promise<HubClient | undefined> {
  const { base } = nockerfile.build;
  if (base.kind === 'scratch') return undefined;
  const url = base.registry ? hubUrlFrom(io, base.registry) : hubUrl;
  if (target && hubHost(url) === target.host) return target;
  return new HubClient({ url, credentials: await credentialsFor(url, { env: io.env }) });
}

/**
 * Clients for the Hubs of `build.dependencies` (a dependency naming none is on the build's Hub),
 * with whatever credentials are saved for each, one client per Hub.
 */
function dependencyClients(io: CommandIO, hubUrl: string, target: HubClient | undefined): (registry: string | undefined) => Promise<HubClient> {
  const clients = new Map<string, Promise<HubClient>>();
  return (registry) => {
    const url = registry ? hubUrlFrom(io, registry) : hubUrl;
    if (target && hubHost(url) === target.host) return Promise.resolve(target);
    let client = clients.get(hubHost(url));
    if (!client) {
      client = credentialsFor(url, { env: io.env }).then((credentials) => new HubClient({ url, credentials }));
      clients.set(hubHost(url), client);
    }
    return client;
  };
}

/** `nocker build [-f FILE] [--env NAME] [-t REF] [--push] [--no-cache] [--update] [--hub HUB]` */
export async function buildCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      file: { type: 'string', short: 'f' },
      env: { type: 'string' },
      tag: { type: 'string', short: 't' },
      push: { type: 'boolean' },
      sign: { type: 'boolean' },
      key: { type: 'string' },
      'no-cache': { type: 'boolean' },
      update: { type: 'boolean' },
      hub: { type: 'string' },
      ...OUTPUT_OPTIONS,
    },
    BUILD_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`build takes no arguments, got ${positionals.join(' ')}; give the Nockerfile with -f`);

  let nockerfile: Nockerfile;
  try {
    nockerfile = await loadNockerfile({ processEnv: io.env, ...(values.file === undefined ? {} : { file: values.file }), ...(values.env === undefined ? {} : { env: values.env }) });
  } catch (err) {
    if (err instanceof NockerfileError) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let reference: ImageReference | undefined;
  let epoch: number;
  try {
    reference = values.tag === undefined ? undefined : parseImageReference(values.tag);
    epoch = sourceDateEpoch(io.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const hubUrl = hubFor(io, reference, values.hub);
  const target = reference ?? parseImageReference(`${hubHost(hubUrl)}/${nockerfile.name}:latest`);
  const name = `${hubHost(hubUrl)}/${target.repository}:${target.tag}`;
  if (values.sign && !values.push) throw new UsageError('--sign signs what is pushed: add --push');
  if (values.sign && values.key === undefined) throw new UsageError('--sign needs --key KEY, the private key to sign with');
  // Read before building, so that a wrong key or passphrase fails at once, not after the build.
  const signingKey = values.sign && values.key !== undefined ? await readPrivateKeyFile(values.key, io.env) : undefined;
  const pushClient = values.push ? new HubClient({ url: hubUrl, credentials: await requireCredentials(hubUrl, { env: io.env }) }) : undefined;

  const output = commandOutput(io, values);
  const { report } = output;
  const steps = nockerfile.build.steps;
  if (steps[0]) report.status(`[1/${steps.length}] ${describeStep(steps[0])}…`);
  // Ctrl-C or a SIGTERM stops the step under way (its container is killed) and cleans up.
  const interrupt = new AbortController();
  const stop = () => interrupt.abort(new Error('the build was interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let image: BuiltImage | undefined;
  try {
    image = await buildImage({
      nockerfile,
      baseHub: await baseClient(io, nockerfile, hubUrl, pushClient),
      cache: new StepCache(cacheDirectory(io.env)),
      noCache: values['no-cache'] === true,
      update: values.update === true,
      dependencyHubs: dependencyClients(io, hubUrl, pushClient),
      sourceDateEpoch: epoch,
      onStep: (s) => {
        report.line(`[${s.index}/${s.total}] ${s.description}${s.cached ? ' (cached)' : ''}`);
        const next = statusAfter(steps, s);
        if (next === undefined) report.clear();
        else report.status(next);
      },
      onOutput: (line) => report.line(`    ${line}`),
      signal: interrupt.signal,
    });
    if (image.base) report.line(`base ${image.base.name}@${image.base.digest}`);
    for (const dependency of image.dependencies) report.line(describeDependency(dependency));
    if (!pushClient) {
      // Complete with its base layers, so that nocker push can send it to any Hub later.
      const store = await OciLayout.open(imageStorePath(io.env));
      await saveBuiltImage(store, name, image, {
        baseHub: await baseClient(io, nockerfile, hubUrl, undefined),
        cache: new StepCache(cacheDirectory(io.env)),
        onBlob: (blob, outcome) => {
          // Only downloads are worth a line; every outcome goes into the --json result.
          if (outcome === 'downloaded') output.blob(blob, outcome);
          else output.blobs.push({ digest: blob, outcome });
        },
      });
      report.line(`built ${name} (in the local store; push it with nocker push ${name})`);
      output.result(buildResult(name, image.digest, image, false, output.blobs));
      return 0;
    }
    const { digest } = await pushBuiltImage(
      pushClient,
      target.repository,
      target.tag,
      image,
      (blob, outcome) => output.blob(blob, outcome, outcome === 'exists' ? 'already on the Hub' : outcome),
      { onProgress: (blob, done, total) => report.transfer(blob, done, total) },
    );
    report.line(`pushed ${name}`);
    const signature = signingKey ? await signImage(pushClient, { name: `${pushClient.host}/${target.repository}`, repository: target.repository, descriptor: { mediaType: image.manifest.mediaType, digest, size: image.manifest.size } }, signingKey) : undefined;
    if (signature) report.line(`signed ${name}@${digest} with ${values.key} (signature ${signature})`);
    output.result({ ...buildResult(name, digest, image, true, output.blobs), ...(signature ? { signature } : {}) });
    return 0;
  } catch (err) {
    report.clear();
    if (interrupt.signal.aborted) {
      io.stderr.write('nocker: the build was interrupted\n');
      return 130;
    }
    if (err instanceof Error && !(err instanceof UsageError)) {
      // A failing run step's message already names the step, its exit code and its last lines.
      io.stderr.write(failureText(err, io.env, 'build'));
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (image) await discardBuildLog(image);
  }
}

/**
 * What is under way once a step is reported: a run step is reported before it runs (its output
 * follows), any other step once it is done, so the next one is under way.
 */
function statusAfter(steps: readonly BuildStep[], event: StepEvent): string | undefined {
  if (steps[event.index - 1]?.kind === 'run' && !event.cached) return `[${event.index}/${event.total}] running…`;
  const next = steps[event.index];
  return next === undefined ? undefined : `[${event.index + 1}/${event.total}] ${describeStep(next)}…`;
}

/** The `--json` result of a build: the image, its base, and every layer with what became of it. */
function buildResult(name: string, digest: string, image: BuiltImage, pushed: boolean, blobs: readonly BlobRecord[]): { name: string; digest: string; [key: string]: JsonResult | undefined } {
  const outcomes = new Map(blobs.map((b) => [b.digest, b.outcome]));
  const layer = (from: 'base' | 'build') => (l: { digest: string; size: number }) => ({ digest: l.digest, size: l.size, from, outcome: outcomes.get(l.digest) });
  return {
    name,
    digest,
    pushed,
    base: image.base ? { name: image.base.name, digest: image.base.digest } : null,
    dependencies: image.dependencies.map((d) => ({ ref: d.ref, tag: d.tag ?? null, digest: d.digest })),
    config: image.config.digest,
    layers: [...(image.base?.layers ?? []).map(layer('base')), ...image.layers.map(layer('build'))],
  };
}
