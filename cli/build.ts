/**
 * `nocker build`: build the image a Nockerfile describes (its `run` steps not yet), report
 * each step and the image's digest, and push it with `--push`.
 */
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { buildImage, pushBuiltImage } from '../engine/build/build.ts';
import { cacheDirectory, StepCache } from '../engine/build/plan.ts';
import { saveBuiltImage } from '../engine/build/save.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { parseImageReference, type ImageReference } from '../engine/image/reference.ts';
import { sourceDateEpoch } from '../engine/image/time.ts';
import { loadNockerfile, NockerfileError, type Nockerfile } from '../engine/nockerfile/index.ts';
import { credentialsFor, requireCredentials } from './docker-config.ts';
import { hubUrlFrom, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { imageStorePath } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker build`. */
export const BUILD_HELP = `Usage:
  nocker build [-f Nockerfile.yml] [--env NAME] [-t REF] [--push] [--no-cache] [--update] [--hub HUB]
      Build the image a Nockerfile describes. The base image is resolved on the Hub (only its
      config is fetched) and its digest recorded in Nockerfile.lock beside the Nockerfile; copy
      steps become layers, cached in $NOCKER_CACHE_DIR (default ~/.cache/nocker) so that an
      unchanged step is reused; workdir and env change the config; the run section sets the
      image's command, environment, user and ports; the policies go into an annotation. Files
      listed in .nockerignore (and Nockerfile.lock) are left out of copies. Run steps are not
      supported yet.

      The same context and Nockerfile always give the same digest (timestamps are clamped to
      $SOURCE_DATE_EPOCH, default 0). Without --push the image is kept in the local store,
      $NOCKER_DATA_HOME/images (default ~/.local/share/nocker/images), with its base layers,
      named HOST/NAME:TAG for "nocker push" to send later; its digest is printed either way.

  Options:
      -f, --file FILE   the Nockerfile (default Nockerfile.yml)
      --env NAME        the environment to apply
      -t, --tag REF     the image to build, HOST:PORT/NAME[:TAG] (default HUB/<name>:latest)
      --push            push the image (base layers are mounted from the base repository)
      --no-cache        rebuild every step
      --update          resolve the base's tag again instead of using Nockerfile.lock
      --hub HUB         the Hub, when REF does not name one (default $NOCKER_HUB, else 127.0.0.1:5000)

  Example:
      nocker login 127.0.0.1:5000 -u admin --password-stdin < secret
      nocker build -f Nockerfile.yml -t 127.0.0.1:5000/team/app:v1 --push
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
      'no-cache': { type: 'boolean' },
      update: { type: 'boolean' },
      hub: { type: 'string' },
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
  const pushClient = values.push ? new HubClient({ url: hubUrl, credentials: await requireCredentials(hubUrl, { env: io.env }) }) : undefined;

  try {
    const image = await buildImage({
      nockerfile,
      baseHub: await baseClient(io, nockerfile, hubUrl, pushClient),
      cache: new StepCache(cacheDirectory(io.env)),
      noCache: values['no-cache'] === true,
      update: values.update === true,
      sourceDateEpoch: epoch,
      onStep: (s) => io.stderr.write(`[${s.index}/${s.total}] ${s.description}${s.cached ? ' (cached)' : ''}\n`),
    });
    if (image.base) io.stderr.write(`base ${image.base.name}@${image.base.digest}\n`);
    if (!pushClient) {
      // Complete with its base layers, so that nocker push can send it to any Hub later.
      const store = await OciLayout.open(imageStorePath(io.env));
      await saveBuiltImage(store, name, image, {
        baseHub: await baseClient(io, nockerfile, hubUrl, undefined),
        cache: new StepCache(cacheDirectory(io.env)),
        onBlob: (blob, outcome) => {
          if (outcome === 'downloaded') io.stderr.write(`${blob.slice(7, 19)}: downloaded\n`);
        },
      });
      io.stderr.write(`built ${name} (in the local store; push it with nocker push ${name})\n`);
      io.stdout.write(`${image.digest}\n`);
      return 0;
    }
    const { digest } = await pushBuiltImage(pushClient, target.repository, target.tag, image, (blob, outcome) => io.stderr.write(`${blob.slice(7, 19)}: ${outcome === 'exists' ? 'already on the Hub' : outcome}\n`));
    io.stderr.write(`pushed ${name}\n`);
    io.stdout.write(`${digest}\n`);
    return 0;
  } catch (err) {
    if (err instanceof Error && !(err instanceof UsageError)) {
      io.stderr.write(`nocker: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
