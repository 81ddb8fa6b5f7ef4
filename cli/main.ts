/**
 * The `nocker` command: reads arguments, calls the Hub or the engine, prints results. No
 * business logic lives here.
 */
import { readFileSync } from 'node:fs';
import { buildCommand } from './build.ts';
import { execCommand, logsCommand, psCommand, rmCommand, stopCommand } from './containers.ts';
import { configCommand } from './config.ts';
import { hubCommand } from './hub.ts';
import { importCommand } from './import.ts';
import { inspectCommand } from './inspect.ts';
import { failureText } from './io.ts';
import { keyCommand } from './key.ts';
import { attestCommand, signCommand } from './sign.ts';
import { verifyCommand } from './verify.ts';
import { depsCommand } from './deps.ts';
import { scanCommand } from './scan.ts';
import { sbomCommand } from './sbom.ts';
import { loginCommand, logoutCommand } from './login.ts';
import { lsCommand } from './ls.ts';
import { pullCommand } from './pull.ts';
import { pushCommand } from './push.ts';
import { runCommand } from './run.ts';
import { tagCommand } from './tag.ts';
import { UsageError } from './usage.ts';

const HELP = `nocker — build, sign, store and run containers through the Nocker Hub

Usage:
  nocker hub serve [--config FILE]      start the Hub (an OCI distribution-spec v1.1 registry)
  nocker hub gc [--dry-run] [options]   remove blobs and manifests nothing uses
  nocker login [HUB] [-u NAME] [--password-stdin]
                                        check and save credentials for a Hub (as docker login)
  nocker logout [HUB]                   remove the saved credentials
  nocker import ROOTFS.tar[.gz] REF     push a root filesystem tarball as a one-layer image
  nocker pull REF [-o DIR] [--platform P]
                                        download an image into the local store or an OCI layout
  nocker push REF [--hub HUB]           push an image from the local store to its Hub
  nocker inspect REF [--raw] [--json]   show an image's config, layers and size
  nocker ls [REPOSITORY] [--json]       list the Hub's repositories, or a repository's tags
  nocker tag SOURCE TARGET              put an image under another tag on the same Hub
  nocker key generate [--out DIR]       make an ECDSA P-256 key pair for signing
  nocker sign REF --key KEY             sign an image: a Sigstore bundle pushed as its referrer
  nocker attest REF --predicate FILE --type URI --key KEY
                                        sign a statement (SBOM, provenance…) about an image
  nocker verify REF --key PUB           check an image's signatures (nocker's and cosign's)
  nocker deps REF [--dependents] [--tree] [--rebuild-plan]
                                        what an image is built on, what is built on it, and
                                        what to rebuild when a base moves or needs fixes
  nocker scan REF [--fail-on high] [--json]
                                        show the vulnerabilities the Hub found in an image
  nocker sbom REF [--format cyclonedx|spdx] [-o FILE]
                                        print the SBOM the Hub made when it scanned an image
  nocker hub user|namespace|policy|vulnerability-policy|robot|token|audit|vulndb …
                                        manage the Hub's accounts, namespaces, trust and
                                        vulnerability policies, robot accounts, tokens and
                                        vulnerability database; read its audit log
  nocker config [-f FILE] [--env NAME] [--json]
                                        check a Nockerfile and print it as it applies to an
                                        environment (default ./Nockerfile.yml)
  nocker build [-f FILE] [--env NAME] [-t REF] [--push] [--no-cache] [--update]
                                        build the image a Nockerfile describes, print its
                                        digest; push it with --push
  nocker run [--env NAME] [-d] [--name N] [--rm] [-p H:C] [-e K=V] IMAGE [COMMAND…]
                                        pull an image, check its signature and policies, run
                                        it isolated (runc/crun); exit code passed through
  nocker ps [-a]                        list containers
  nocker logs [-f] [--tail N] [--since T] [-t] CONTAINER [--push REF]
                                        print a container's output, or push it to the Hub
  nocker stop [-t 10] CONTAINER…        SIGTERM, then SIGKILL after the timeout
  nocker rm [-f] CONTAINER…             remove containers
  nocker exec CONTAINER COMMAND…        run a command in a running container
  nocker inspect CONTAINER              show a container as JSON
  nocker --help | --version

HUB is URL or HOST:PORT (or --hub HUB); default: $NOCKER_HUB, else 127.0.0.1:5000.
build, import, pull and tag take -q/--quiet (errors only on stderr) and --json (one JSON object
on stdout); on a terminal they show their progress in place. NOCKER_DEBUG=1 adds stack traces
to errors.
Run "nocker hub --help" for the Hub's options, "nocker login --help" for logging in.
`;

/** Every command, by the name it is run with. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  build: buildCommand,
  config: configCommand,
  hub: hubCommand,
  login: loginCommand,
  logout: logoutCommand,
  import: importCommand,
  pull: pullCommand,
  push: pushCommand,
  inspect: inspectCommand,
  key: keyCommand,
  sign: signCommand,
  attest: attestCommand,
  verify: verifyCommand,
  deps: depsCommand,
  scan: scanCommand,
  sbom: sbomCommand,
  ls: lsCommand,
  tag: tagCommand,
  run: runCommand,
  ps: psCommand,
  logs: logsCommand,
  stop: stopCommand,
  rm: rmCommand,
  exec: execCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`nocker ${pkg.version}\n`);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`unknown command "${command}"`);
  return run(rest);
}

/** The command a failure's hint points to: the one run, when there is such a command. */
function knownCommand(argv: string[]): string | undefined {
  const [command] = argv;
  return command !== undefined && Object.hasOwn(COMMANDS, command) ? command : undefined;
}

// Run when executed (cli/nocker.js imports this module), not when imported by tests.
if (process.argv[1] && /nocker(\.js)?$|main\.ts$/.test(process.argv[1])) {
  const argv = process.argv.slice(2);
  main(argv).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(failureText(err, process.env, knownCommand(argv)));
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
