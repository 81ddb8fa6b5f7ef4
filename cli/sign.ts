/**
 * `nocker sign` and `nocker attest`: a statement about an image's digest, signed with a key into
 * a Sigstore bundle and pushed to the Hub as the image's referrer.
 */
import { readFile } from 'node:fs/promises';
import { HubClient } from '../hub/client/client.ts';
import { imageToSign, signImage, type Claim } from '../engine/sign/image.ts';
import { keyId, readPrivateKeyFile } from '../engine/sign/keys.ts';
import { SIGNATURE_PREDICATE_TYPE } from '../engine/sign/statement.ts';
import { requireCredentials } from './docker-config.ts';
import { type CommandIO, commandOutput, onePositional, OUTPUT_OPTIONS, parseCommandLine, processIO } from './io.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

const REFERENCE_TEXT = `      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. What is signed is the digest REF resolves to now.
      KEY is a PEM private key ("nocker key generate"); an encrypted one is opened with
      $NOCKER_KEY_PASSWORD. Pushing the signature needs credentials ("nocker login").`;

/** The help of `nocker sign`. */
export const SIGN_HELP = `Usage:
  nocker sign REF --key KEY [--hub HUB] [-q] [--json]
      Sign the image REF and push the signature to the Hub as an OCI 1.1 referrer of the image:
      a Sigstore bundle v0.3 (a DSSE envelope around an in-toto statement whose subject is the
      image's digest), made offline, with no transparency log. Prints the signature's digest.

${REFERENCE_TEXT}

  Options:
      --key KEY          the private key to sign with
      --certificate CERT the key's certificate (PEM, e.g. issued by a Fulcio-style CA): the bundle
                         carries it instead of a key hint, for policies that trust identities
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object: name, digest (the signature's), image, keyId, predicateType

  Example:
      nocker key generate --out keys
      nocker sign 127.0.0.1:5000/team/app:v1 --key keys/nocker.key
`;

/** The help of `nocker attest`. */
export const ATTEST_HELP = `Usage:
  nocker attest REF --predicate FILE --type URI --key KEY [--hub HUB] [-q] [--json]
      Attest something about the image REF: the JSON in FILE becomes the predicate of an in-toto
      statement of type URI about the image's digest, signed and pushed like "nocker sign" does.

${REFERENCE_TEXT}

  Options:
      --predicate FILE   the predicate: a JSON object (an SBOM, provenance…)
      --type URI         the predicate type, e.g. https://spdx.dev/Document or https://slsa.dev/provenance/v1
      --key KEY          the private key to sign with
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet, --json  as for "nocker sign"

  Example:
      nocker attest 127.0.0.1:5000/team/app:v1 --predicate sbom.spdx.json --type https://spdx.dev/Document --key keys/nocker.key
`;

/** Reads the predicate file: a JSON object, else a usage error saying what is wrong. */
async function readPredicate(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--predicate ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(err as Error).message})`}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--predicate ${path}: the predicate must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Signs `claim` about REF with KEY and pushes it: what `sign` and `attest` share. */
async function signAndPush(io: CommandIO, values: { key?: string; certificate?: string; hub?: string; quiet?: boolean; json?: boolean }, ref: string, claim: Claim): Promise<number> {
  if (values.key === undefined) throw new UsageError('--key KEY is needed: the private key to sign with');
  const privateKey = await readPrivateKeyFile(values.key, io.env);
  const certificate = values.certificate === undefined ? undefined : await readFile(values.certificate, 'utf8');
  const { reference, client: anonymous } = await connect(io, ref, values.hub);
  const client = new HubClient({ url: anonymous.url, credentials: await requireCredentials(anonymous.url, { env: io.env }) });
  const output = commandOutput(io, values);
  const image = await imageToSign(client, reference.repository, manifestReference(reference));
  const digest = await signImage(client, image, privateKey, claim, certificate);
  const id = keyId(privateKey);
  output.report.line(`signed ${image.name}@${image.descriptor.digest} with ${values.key} (key id ${id.slice(0, 16)}…)`);
  output.result({ name: `${image.name}@${digest}`, digest, image: `${image.name}@${image.descriptor.digest}`, keyId: id, predicateType: claim.predicateType });
  return 0;
}

const SIGN_OPTIONS = { key: { type: 'string' }, certificate: { type: 'string' }, hub: { type: 'string' }, ...OUTPUT_OPTIONS } as const;

/** `nocker sign REF --key KEY [--hub HUB] [-q] [--json]` */
export async function signCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, SIGN_OPTIONS, SIGN_HELP);
  if (!parsed) return 0;
  return signAndPush(io, parsed.values, onePositional(parsed.positionals, 'sign', 'image', 'sign needs the image: nocker sign REF --key KEY'), { predicateType: SIGNATURE_PREDICATE_TYPE, predicate: {} });
}

/** `nocker attest REF --predicate FILE --type URI --key KEY [--hub HUB] [-q] [--json]` */
export async function attestCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { ...SIGN_OPTIONS, predicate: { type: 'string' }, type: { type: 'string' } }, ATTEST_HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  const ref = onePositional(parsed.positionals, 'attest', 'image', 'attest needs the image: nocker attest REF --key KEY');
  if (values.predicate === undefined || values.type === undefined) throw new UsageError('attest needs --predicate FILE and --type URI');
  return signAndPush(io, values, ref, { predicateType: values.type, predicate: await readPredicate(values.predicate) });
}
