/**
 * `nocker ls`: the Hub's repositories (its catalog), or the tags of one repository, every page
 * of the listing followed.
 */
import { hubHost } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { listRepositories, listTags } from '../hub/client/pull.ts';
import { validateRepositoryName } from '../hub/oci/names.ts';
import { printJson } from './admin/common.ts';
import { credentialsFor } from './docker-config.ts';
import { hubUrlFrom, parseCommandLine, processIO, type CommandIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker ls`. */
export const LS_HELP = `Usage:
  nocker ls [REPOSITORY] [--hub HUB] [--json]
      Without REPOSITORY, list the Hub's repositories you may read, one a line; with one,
      list its tags. REPOSITORY may name its Hub (HOST:PORT/NAME); otherwise the Hub is
      --hub, else $NOCKER_HUB, else 127.0.0.1:5000.

  Options:
      --hub HUB          the Hub
      --json             print a JSON array

  Example:
      nocker ls --hub 127.0.0.1:5000
      nocker ls 127.0.0.1:5000/base/alpine
`;

/** Splits `HOST:PORT/NAME` into its Hub and repository; a bare NAME has no Hub. */
function splitRepository(text: string): { hub?: string; repository: string } {
  const slash = text.indexOf('/');
  const first = slash === -1 ? '' : text.slice(0, slash);
  const hasHub = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repository = hasHub ? text.slice(slash + 1) : text;
  if (repository.includes(':') || repository.includes('@')) throw new UsageError(`"${text}" is not a repository: give NAME or HOST:PORT/NAME, without a tag or digest`);
  try {
    validateRepositoryName(repository);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return hasHub ? { hub: first, repository } : { repository };
}

/** `nocker ls [REPOSITORY] [--hub HUB] [--json]` */
export async function lsCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    {
      hub: { type: 'string' },
      json: { type: 'boolean' },
    },
    LS_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`ls takes at most one repository, got also ${extra.join(' ')}`);
  const target = name === undefined ? undefined : splitRepository(name);
  const url = hubUrlFrom(io, values.hub ?? target?.hub);
  if (target?.hub && values.hub !== undefined && hubHost(url) !== hubHost(hubUrlFrom(io, target.hub))) {
    throw new UsageError(`the repository names the Hub ${target.hub} and --hub names ${values.hub}`);
  }
  const credentials = await credentialsFor(url, { env: io.env });
  const client = new HubClient({ url, ...(credentials ? { credentials } : {}) });
  const names = target ? await listTags(client, target.repository) : await listRepositories(client);
  if (values.json) return printJson(io, names);
  for (const entry of names) io.stdout.write(`${entry}\n`);
  return 0;
}
