/**
 * `nocker verify`: every signature the Hub holds for an image — Sigstore bundles and cosign's
 * simple signatures, as referrers or under cosign's `.sig` tag — checked against trusted keys.
 */
import { isPlainSignature, validSigners, type CheckedSignature } from '../engine/sign/checked.ts';
import { imageToSign, verifyImage } from '../engine/sign/image.ts';
import { readPublicKeyFile } from '../engine/sign/keys.ts';
import type { TrustedKey } from '../engine/sign/verify.ts';
import { OUTPUT_OPTIONS, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { shortDigest } from './progress.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker verify`. */
export const VERIFY_HELP = `Usage:
  nocker verify REF --key PUB [--key PUB…] [--hub HUB] [-q] [--json]
      Find every signature of the image REF on the Hub and check each against the trusted
      public keys: Sigstore bundles pushed as referrers (by "nocker sign", "nocker attest" or
      "cosign attest --new-bundle-format"), and cosign's simple signatures, as referrers
      ("cosign sign --registry-referrers-mode=oci-1-1") or under its tag sha256-<hex>.sig
      ("cosign sign"). A signature counts when it verifies with a trusted key and names the
      image's digest. Prints one line per signature: valid or not, the key that signed, when,
      and why not. Exits 0 when at least one valid signature (not an attestation) was found.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. PUB is a PEM public key (nocker's or cosign's
      .pub file). Verification is offline: no transparency log is consulted.

  Options:
      --key PUB          a trusted public key (repeatable)
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet        print nothing but errors; the exit code tells
      --json             print one JSON object: image, digest, valid (true/false), signatures
                         (format, artifact, created, valid, signer, reason, predicateType)

  Example:
      nocker verify 127.0.0.1:5000/team/app:v1 --key keys/nocker.pub
      nocker verify 127.0.0.1:5000/team/app:v1 --key cosign.pub --json | jq .valid
`;

/** One signature as a line: `valid signature sha256:abc… (bundle) by ci.pub at …` or why not. */
function describe(checked: CheckedSignature): string {
  const { verdict } = checked;
  const kind = isPlainSignature(checked) ? 'signature' : `attestation ${verdict.predicateType}`;
  const what = `${kind} ${shortDigest(checked.artifact)} (${checked.format})`;
  if (!verdict.valid) return `not valid: ${what}: ${verdict.reason}`;
  return `valid: ${what} signed by ${verdict.signer}${checked.created ? ` at ${checked.created}` : ''}`;
}

/** `nocker verify REF --key PUB [--key PUB…] [--hub HUB] [-q] [--json]` */
export async function verifyCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { key: { type: 'string', multiple: true }, hub: { type: 'string' }, ...OUTPUT_OPTIONS }, VERIFY_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [ref, ...extra] = positionals;
  if (ref === undefined) throw new UsageError('verify needs the image: nocker verify REF --key PUB');
  if (extra.length > 0) throw new UsageError(`verify takes one image, got also ${extra.join(' ')}`);
  if (!values.key || values.key.length === 0) throw new UsageError('--key PUB is needed: the public key signatures must verify with');
  const keys: TrustedKey[] = [];
  for (const path of values.key) keys.push({ name: path, publicKey: await readPublicKeyFile(path) });

  const { reference, client } = await connect(io, ref, values.hub);
  const image = await imageToSign(client, reference.repository, manifestReference(reference));
  const checked = await verifyImage(client, image, keys);
  const valid = validSigners(checked).size > 0;
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ image: image.name, digest: image.descriptor.digest, valid, signatures: checked.map((c) => ({ format: c.format, artifact: c.artifact, created: c.created, ...c.verdict })) }, null, 2)}\n`);
  } else if (values.quiet !== true) {
    io.stdout.write(`${image.name}@${image.descriptor.digest}\n`);
    for (const c of checked) io.stdout.write(`  ${describe(c)}\n`);
  }
  if (!valid && values.json !== true) {
    io.stderr.write(`nocker: ${checked.length === 0 ? 'the image is not signed' : 'no valid signature by a trusted key'}: ${image.name}@${image.descriptor.digest}\n`);
  }
  return valid ? 0 : 1;
}
