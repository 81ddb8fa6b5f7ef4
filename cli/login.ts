/**
 * `nocker login` and `nocker logout`: credentials for a Hub, checked against it and kept in the
 * Docker config file.
 */
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { credentialsFor, removeCredentials, saveCredentials } from './docker-config.ts';
import { hubUrlFrom, isInteractive, parseCommandLine, processIO, promptLine, promptSecret, readSecretFromStdin, type CommandIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker login` and `nocker logout`. */
export const LOGIN_HELP = `Usage:
  nocker login [HUB] [-u|--username NAME] [-p|--password PASS] [--password-stdin]
      Check a user's (or robot's) credentials against the Hub and save them in the Docker config
      file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) as docker login does, so
      that nocker, docker, podman and skopeo all use them. Missing values are asked for on a
      terminal; elsewhere give them, the password best with --password-stdin:
        echo "$SECRET" | nocker login 127.0.0.1:5000 -u 'robot$ci' --password-stdin

  nocker logout [HUB]
      Remove the saved credentials for the Hub.

  HUB is URL or HOST:PORT (--hub works too); default: $NOCKER_HUB, else 127.0.0.1:5000.
  A bare HOST:PORT means http:// on loopback addresses, https:// elsewhere.

  Examples:
      nocker login 127.0.0.1:5000 -u admin --password-stdin < admin-password
      nocker logout 127.0.0.1:5000
`;

/** `nocker login [HUB] [-u NAME] [-p PASS | --password-stdin]` */
export async function loginCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
      hub: { type: 'string' },
    },
    LOGIN_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`login takes one Hub, got ${positionals.join(' ')}`);
  const url = hubUrlFrom(io, positionals[0], values.hub);
  if (values.password !== undefined && values['password-stdin']) throw new UsageError('--password and --password-stdin cannot be used together');
  if (values['password-stdin'] && values.username === undefined) throw new UsageError('--password-stdin needs --username');
  if (values.password !== undefined) io.stderr.write('WARNING! Using --password on the command line is insecure. Use --password-stdin.\n');

  let username = values.username;
  let password = values['password-stdin'] ? await readSecretFromStdin(io) : values.password;
  if (username === undefined || password === undefined) {
    if (!isInteractive(io)) {
      throw new UsageError(`no ${username === undefined ? 'user name' : 'password'} given and no terminal to ask on: use -u NAME and --password-stdin`);
    }
    if (username === undefined) {
      const saved = (await credentialsFor(url, { env: io.env }))?.username;
      username = (await promptLine(io, saved ? `Username (${saved}): ` : 'Username: ')) || saved;
      if (!username) throw new UsageError('no user name given');
    }
    password ??= await promptSecret(io, 'Password: ');
  }
  if (username === '') throw new UsageError('the user name is empty');
  if (password === '') throw new UsageError('the password is empty');

  await new HubClient({ url, credentials: { username, password } }).checkLogin();
  const { warnings } = await saveCredentials(url, username, password, { env: io.env });
  for (const warning of warnings) io.stderr.write(`WARNING! ${warning}\n`);
  io.stdout.write('Login Succeeded\n');
  return 0;
}

/** `nocker logout [HUB]` */
export async function logoutCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { hub: { type: 'string' } }, LOGIN_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`logout takes one Hub, got ${positionals.join(' ')}`);
  const url = hubUrlFrom(io, positionals[0], values.hub);
  const host = hubHost(url);
  if (await removeCredentials(url, { env: io.env })) io.stdout.write(`Removing login credentials for ${host}\n`);
  else io.stdout.write(`Not logged in to ${host}\n`);
  return 0;
}
