/**
 * `nocker verify`: every signature the Hub holds for an image — Sigstore bundles and cosign's
 * simple signatures, as referrers or under cosign's `.sig` tag — checked against trusted keys.
 */
import { isPlainSignature, validSigners, type CheckedSignature } from '../engine/sign/checked.ts';
import { readFile } from 'node:fs/promises';
import type { KeylessTrust, TrustedIdentity } from '../engine/sign/identity.ts';
import { imageToSign, verifyImage, type SignedImage } from '../engine/sign/image.ts';
import type { HubClient } from '../hub/client/client.ts';
import { fetchSignatureStatus, type SignatureStatus } from '../hub/client/referrers.ts';
import { DEFAULT_ENVIRONMENT } from '../hub/policy/types.ts';
import { readPublicKeyFile } from '../engine/sign/keys.ts';
import type { TrustedKey } from '../engine/sign/verify.ts';
import { type CommandIO, onePositional, OUTPUT_OPTIONS, parseCommandLine, processIO } from './io.ts';
import { shortDigest } from './progress.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker verify`. */
export const VERIFY_HELP = `Usage:
  nocker verify REF --key PUB [--key PUB…] [--hub HUB] [-q] [--json]
  nocker verify REF --ca CA.pem --identity ISSUER=SUBJECT [--ca …] [--identity …] [--key PUB…] [--hub HUB] [-q] [--json]
  nocker verify REF [--env ENV] [--hub HUB] [-q] [--json]
      Find every signature of the image REF on the Hub and check each against the trusted
      public keys: Sigstore bundles pushed as referrers (by "nocker sign", "nocker attest" or
      "cosign attest --new-bundle-format"), and cosign's simple signatures, as referrers
      ("cosign sign --registry-referrers-mode=oci-1-1") or under its tag sha256-<hex>.sig
      ("cosign sign"). A signature counts when it verifies with a trusted key and names the
      image's digest. Prints one line per signature: valid or not, the key that signed, when,
      and why not. Exits 0 when at least one valid signature (not an attestation) was found.

      Without --key the Hub checks the signatures against its trust policy for the image's
      namespace and ENV (default production), and the exit code says whether the image meets
      it (enough valid signatures by the policy's keys).

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. PUB is a PEM public key (nocker's or cosign's
      .pub file). Verification is offline: no transparency log is consulted.

  Options:
      --key PUB          a trusted public key (repeatable)
      --ca CA.pem        a CA that keyless signers' certificates must chain to (repeatable)
      --identity ISSUER=SUBJECT
                         a trusted keyless signer: the certificate's OIDC issuer, exactly, and a
                         regular expression its subject (email or URI) must match whole
                         (repeatable); certificates are checked as valid now (offline: no log)
      --env ENV          without --key: the environment whose policy applies (default production)
      --hub HUB          the Hub, when REF does not name one
      -q, --quiet        print nothing but errors; the exit code tells
      --json             print one JSON object: image, digest, valid (true/false), signatures
                         (format, artifact, created, valid, signer, reason, predicateType)

  Example:
      nocker verify 127.0.0.1:5000/team/app:v1 --key keys/nocker.pub
      nocker verify 127.0.0.1:5000/team/app:v1 --key cosign.pub --json | jq .valid
      nocker verify 127.0.0.1:5000/team/app:v1 --env production
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
/** `ISSUER=SUBJECT`: split at the first `=` (issuer URLs have none; a subject regex may). */
function parseIdentity(text: string): TrustedIdentity {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`--identity ${text}: expected ISSUER=SUBJECT, e.g. https://token.actions.githubusercontent.com='https://github\\.com/team/.+'`);
  return { issuer: text.slice(0, at), subject: text.slice(at + 1) };
}

/** The Hub's report, as the rows `describe` prints. */
function fromHub(status: SignatureStatus): CheckedSignature[] {
  return status.signatures.map((s) => ({
    format: s.format,
    artifact: s.artifact,
    ...(s.created ? { created: s.created } : {}),
    verdict: { valid: s.status === 'valid', ...(s.signer ? { signer: s.signer } : {}), ...(s.reason ? { reason: s.reason } : {}), ...(s.predicateType ? { predicateType: s.predicateType } : {}) },
  }));
}

/** The signatures of `image` checked here against `keys`, or by the Hub against its policy for `environment`. */
async function check(client: HubClient, image: SignedImage, keys: TrustedKey[], keyless: KeylessTrust, environment: string): Promise<{ checked: CheckedSignature[]; valid: boolean; policy?: string }> {
  if (keys.length > 0 || keyless.roots.length > 0) {
    const checked = await verifyImage(client, image, keys, keyless);
    return { checked, valid: validSigners(checked).size > 0 };
  }
  const status = await fetchSignatureStatus(client, image.repository, image.descriptor.digest, environment);
  if (!status.policy) throw new Error(`namespace ${image.repository.split('/')[0]} has no trust policy for ${environment} on the Hub; give the trusted keys with --key PUB`);
  const policy = `the ${environment} policy of ${status.policy.namespace} (${status.policy.mode}, ${status.policy.required} required)`;
  return { checked: fromHub(status), valid: status.valid === true, policy };
}

/** `nocker verify REF [--key PUB…] [--env ENV] [--hub HUB] [-q] [--json]` */
export async function verifyCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    { key: { type: 'string', multiple: true }, ca: { type: 'string', multiple: true }, identity: { type: 'string', multiple: true }, env: { type: 'string' }, hub: { type: 'string' }, ...OUTPUT_OPTIONS },
    VERIFY_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'verify', 'image', 'verify needs the image: nocker verify REF [--key PUB]');
  const local = values.key !== undefined || values.ca !== undefined || values.identity !== undefined;
  if (local && values.env !== undefined) throw new UsageError('--env asks the Hub\'s trust policy, --key/--ca/--identity trust what is given here: use one or the other');
  if ((values.ca === undefined) !== (values.identity === undefined)) throw new UsageError('keyless trust needs both --ca CA.pem and --identity ISSUER=SUBJECT');
  const keys: TrustedKey[] = [];
  for (const path of values.key ?? []) keys.push({ name: path, publicKey: await readPublicKeyFile(path) });
  const keyless: KeylessTrust = { roots: [], identities: (values.identity ?? []).map(parseIdentity) };
  for (const path of values.ca ?? []) keyless.roots.push({ name: path, pem: await readFile(path, 'utf8') });

  const { reference, client } = await connect(io, ref, values.hub);
  const image = await imageToSign(client, reference.repository, manifestReference(reference));
  const { checked, valid, policy } = await check(client, image, keys, keyless, values.env ?? DEFAULT_ENVIRONMENT);
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ image: image.name, digest: image.descriptor.digest, valid, signatures: checked.map((c) => ({ format: c.format, artifact: c.artifact, created: c.created, ...c.verdict })) }, null, 2)}\n`);
  } else if (values.quiet !== true) {
    io.stdout.write(`${image.name}@${image.descriptor.digest}${policy ? ` under ${policy}` : ''}\n`);
    for (const c of checked) io.stdout.write(`  ${describe(c)}\n`);
  }
  if (!valid && values.json !== true) {
    const why = checked.length === 0 ? 'the image is not signed' : policy ? `the image does not meet ${policy}` : 'no valid signature by a trusted key';
    io.stderr.write(`nocker: ${why}: ${image.name}@${image.descriptor.digest}\n`);
  }
  return valid ? 0 : 1;
}
