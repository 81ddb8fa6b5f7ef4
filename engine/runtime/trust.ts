/**
 * Whether an image may run where signatures are required: a valid signature by a key the user
 * trusts (`--verify-key`, or the keys in their Nocker config), else the Hub's verdict under its
 * trust policy for the environment. Nothing trusted at all is a refusal, never a pass.
 */
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HubClient } from '../../hub/client/client.ts';
import { fetchSignatureStatus } from '../../hub/client/referrers.ts';
import { validSigners } from '../sign/checked.ts';
import { verifyImage, type SignedImage } from '../sign/image.ts';
import { readPublicKeyFile } from '../sign/keys.ts';
import type { TrustedKey } from '../sign/verify.ts';

/** The user's Nocker configuration directory: `$XDG_CONFIG_HOME/nocker`, else `~/.config/nocker`. */
export function userConfigHome(env: Record<string, string | undefined>): string {
  if (env.XDG_CONFIG_HOME?.trim()) return join(env.XDG_CONFIG_HOME, 'nocker');
  return join(env.HOME?.trim() ? env.HOME : homedir(), '.config', 'nocker');
}

/** Where the user keeps the public keys `nocker run` trusts: one PEM `.pub` file each. */
export function trustedKeysDirectory(env: Record<string, string | undefined>): string {
  return join(userConfigHome(env), 'trusted-keys');
}

/**
 * The keys `nocker run` trusts: the files given (`--verify-key`), then every `*.pub` in the
 * user's trusted-keys directory. A given file that cannot be read is an error; a missing
 * directory is not.
 *
 * @example
 * const keys = await trustedKeys(['ci.pub'], process.env);
 */
export async function trustedKeys(paths: readonly string[], env: Record<string, string | undefined>): Promise<TrustedKey[]> {
  const directory = trustedKeysDirectory(env);
  const configured = (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.pub')).sort().map((name) => join(directory, name));
  const keys: TrustedKey[] = [];
  for (const path of [...paths, ...configured]) keys.push({ name: path, publicKey: await readPublicKeyFile(path) });
  return keys;
}

/** The verdict on an image. */
export interface TrustVerdict {
  trusted: boolean;
  /** Who vouched for it (key files, or the Hub's policy), or why not. */
  reason: string;
}

/**
 * Checks `image` for `environment`: with `keys`, a valid signature by one of them is needed;
 * without, the Hub's trust policy for the environment decides, and a namespace without one is
 * refused (nothing says which signers to trust).
 *
 * @example
 * const verdict = await checkTrust(client, image, keys, 'production');
 * if (!verdict.trusted) throw new Error(verdict.reason);
 */
export async function checkTrust(client: HubClient, image: SignedImage, keys: readonly TrustedKey[], environment: string): Promise<TrustVerdict> {
  if (keys.length > 0) {
    const checked = await verifyImage(client, image, keys);
    const signers = validSigners(checked);
    if (signers.size > 0) return { trusted: true, reason: `signed by ${[...signers].join(', ')}` };
    const invalid = checked.filter((c) => !c.verdict.valid).map((c) => c.verdict.reason).filter(Boolean);
    return { trusted: false, reason: checked.length === 0 ? 'the image is not signed' : `no valid signature by a trusted key (${[...new Set(invalid)].join('; ')})` };
  }
  const status = await fetchSignatureStatus(client, image.repository, image.descriptor.digest, environment);
  if (!status.policy) {
    const namespace = image.repository.split('/')[0];
    return { trusted: false, reason: `no key is trusted: give one with --verify-key PUB, put it in the trusted-keys directory of your Nocker config, or set a ${environment} trust policy on namespace ${namespace}` };
  }
  const policy = `the Hub's ${environment} policy of ${status.policy.namespace} (${status.policy.required} signature${status.policy.required === 1 ? '' : 's'} required)`;
  if (status.valid === true) return { trusted: true, reason: `meets ${policy}` };
  return { trusted: false, reason: status.signatures.length === 0 ? `the image is not signed, and ${policy} asks for signatures` : `the image does not meet ${policy}` };
}
