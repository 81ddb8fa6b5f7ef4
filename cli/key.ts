/**
 * `nocker key`: signing keys. `nocker key generate` writes an ECDSA P-256 key pair as PEM files,
 * the private one readable by its owner only and encrypted when NOCKER_KEY_PASSWORD is set.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKeyPair, KEY_PASSWORD_VARIABLE, keyId, keyPassphrase, loadPublicKey } from '../engine/sign/keys.ts';
import { OUTPUT_OPTIONS, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { reporterFor } from './progress.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker key`. */
export const KEY_HELP = `Usage:
  nocker key generate [--out DIR] [--name NAME] [-q] [--json]
      Make an ECDSA P-256 key pair for signing: the private key in DIR/NAME.key (PKCS#8 PEM,
      readable by its owner only) and the public key, which others verify with, in
      DIR/NAME.pub (SPKI PEM); print the public key's path. When $${KEY_PASSWORD_VARIABLE} is
      set and not empty the private key is encrypted with it (AES-256-CBC), and signing with
      the key needs it there again. Existing files are never overwritten.

  Options:
      --out DIR          the directory to write to, made when missing (default .)
      --name NAME        the files' name, without .key or .pub (default nocker)
      -q, --quiet        print nothing on stderr but errors
      --json             print one JSON object instead of the path: privateKey and publicKey
                         (their paths), keyId (hex SHA-256 of the public key's DER), encrypted

  Example:
      read -rs ${KEY_PASSWORD_VARIABLE} && export ${KEY_PASSWORD_VARIABLE}
      nocker key generate --out keys --name release
      nocker key generate --json | jq -r .keyId
`;

/** Letters, digits, dots, dashes and underscores, starting with a letter, digit or underscore: a file name, never a path. */
const KEY_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw new UsageError(`--name "${name}" is not a file name: use letters, digits, ".", "-" and "_"`);
  if (/\.(key|pub)$/.test(name)) throw new UsageError(`--name "${name}": give the name without .key or .pub, they are added`);
  return name;
}

/** Where a key pair goes. */
interface KeyPaths {
  privateKey: string;
  publicKey: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

/** Fails, saying how to go on, when either file is there already: a key pair is never replaced. */
async function refuseExisting(paths: KeyPaths): Promise<void> {
  const taken: string[] = [];
  for (const path of [paths.privateKey, paths.publicKey]) if (await exists(path)) taken.push(path);
  if (taken.length === 0) return;
  throw new Error(`${taken.join(' and ')} ${taken.length === 1 ? 'exists' : 'exist'} already and keys are never overwritten: choose another --name or --out, or move the old files away`);
}

/** Writes both files, neither over an existing one; a half-written pair is removed. */
async function writeKeyPair(paths: KeyPaths, pair: { privateKeyPem: string; publicKeyPem: string }): Promise<void> {
  await refuseExisting(paths);
  await writeFile(paths.privateKey, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  try {
    await writeFile(paths.publicKey, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    await rm(paths.privateKey, { force: true });
    throw err;
  }
}

/** `nocker key generate [--out DIR] [--name NAME] [-q] [--json]` */
async function generateCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine(argv, io, { out: { type: 'string' }, name: { type: 'string' }, ...OUTPUT_OPTIONS }, KEY_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`key generate takes no arguments, got ${positionals.join(' ')}: give the directory with --out`);
  const dir = values.out ?? '.';
  const name = checkKeyName(values.name ?? 'nocker');
  const paths = { privateKey: join(dir, `${name}.key`), publicKey: join(dir, `${name}.pub`) };

  const passphrase = keyPassphrase(io.env);
  const pair = generateSigningKeyPair(passphrase);
  await mkdir(dir, { recursive: true });
  await writeKeyPair(paths, pair);

  const encrypted = passphrase !== undefined;
  const id = keyId(loadPublicKey(pair.publicKeyPem));
  const report = reporterFor(io.stderr, values.quiet === true);
  report.line(`private key ${paths.privateKey} ${encrypted ? `(encrypted with ${KEY_PASSWORD_VARIABLE})` : `(not encrypted: set ${KEY_PASSWORD_VARIABLE} to encrypt it)`}`);
  report.line(`public key ${paths.publicKey}, key id ${id}`);
  io.stdout.write(values.json === true ? `${JSON.stringify({ ...paths, keyId: id, encrypted }, null, 2)}\n` : `${paths.publicKey}\n`);
  return 0;
}

/** `nocker key SUBCOMMAND …`: only `generate` for now. */
export async function keyCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'generate') return generateCommand(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(KEY_HELP);
    return sub === undefined ? 1 : 0;
  }
  throw new UsageError(`unknown key command "${sub}"`);
}
