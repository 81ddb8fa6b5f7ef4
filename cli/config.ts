/**
 * `nocker config`: the effective Nockerfile for one environment — the environment's overrides,
 * any `Nockerfile.<env>.yml` and variables applied — printed as YAML or JSON, or every problem
 * found in it.
 */
import { stringify } from 'yaml';
import { NockerfileError, resolveNockerfile } from '../engine/nockerfile/index.ts';
import { parseCommandLine, processIO, type CommandIO } from './io.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker config`. */
export const CONFIG_HELP = `Usage:
  nocker config [-f FILE] [--env NAME] [--json]
      Check a Nockerfile and print it as it applies to one environment: the environment's
      overrides (following extends) merged over the file, then Nockerfile.<env>.yml beside it,
      \${VAR} and \${VAR:-default} replaced (from variables:, then the environment). Every problem
      is printed as FILE:LINE:COL: KEY: MESSAGE.

  -f, --file FILE   the Nockerfile (default: ./Nockerfile.yml)
  --env NAME        the environment (default: the file's environment:, else production)
  --json            print JSON instead of YAML

  Example:
    nocker config --env development
    nocker config -f app/Nockerfile.yml --env embedded --json
`;

/** `nocker config [-f FILE] [--env NAME] [--json]` */
export async function configCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { file: { type: 'string', short: 'f' }, env: { type: 'string' }, json: { type: 'boolean' } }, CONFIG_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`config takes no arguments, got ${positionals.join(' ')} (use -f FILE for the Nockerfile)`);
  if (values.file === '') throw new UsageError('--file is empty');
  if (values.env === '') throw new UsageError('--env is empty');

  try {
    const options = { processEnv: io.env, ...(values.file === undefined ? {} : { file: values.file }), ...(values.env === undefined ? {} : { env: values.env }) };
    const { document } = await resolveNockerfile(options);
    io.stdout.write(values.json ? `${JSON.stringify(document, null, 2)}\n` : stringify(document));
    return 0;
  } catch (err) {
    if (err instanceof NockerfileError) {
      io.stderr.write(`${err.message}\n`);
      const count = err.problems.length;
      io.stderr.write(`nocker: ${count} problem${count === 1 ? '' : 's'} in the Nockerfile\n`);
      return 1;
    }
    if (err instanceof Error && !(err instanceof UsageError)) {
      io.stderr.write(`nocker: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
