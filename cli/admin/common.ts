/**
 * What every `nocker hub user|namespace|robot|token|audit` subcommand shares: parsing its
 * arguments, connecting to the Hub as the saved account, printing tables and JSON, and reading
 * flag values such as durations, dates and on/off.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubAdmin } from '../../hub/client/admin.ts';
import { HubClient } from '../../hub/client/client.ts';
import { parseDuration } from '../../hub/registry/gc.ts';
import { requireCredentials } from '../docker-config.ts';
import { hubUrlFrom, parseOrUsage, type CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { HUB_ADMIN_HELP } from './help.ts';

/** The options every subcommand takes. */
const COMMON_OPTIONS = {
  hub: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What a subcommand works with once connected: its IO, the Hub's API, whether to print JSON, the Hub's host. */
export interface Context {
  io: CommandIO;
  admin: HubAdmin;
  json: boolean;
  host: string;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses the arguments of one subcommand; `undefined` when it asked for help (printed). */
export function parse<O extends Options>(command: string, argv: string[], io: CommandIO, options: O, positionals: string[]) {
  const parsed = parseOrUsage(() => parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }));
  if ((parsed.values as { help?: boolean }).help === true) {
    io.stdout.write(HUB_ADMIN_HELP);
    return undefined;
  }
  if (parsed.positionals.length !== positionals.length) {
    const wanted = positionals.length === 0 ? 'no arguments' : positionals.join(' ');
    const got = parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ');
    throw new UsageError(`nocker hub ${command} takes ${wanted}, got ${got}`);
  }
  return parsed;
}

/** Connects to the Hub (`--hub`, else `NOCKER_HUB`) with the credentials saved for it; `json` is `--json`. */
export async function connect(io: CommandIO, hub: string | boolean | undefined, json: boolean | string | undefined): Promise<Context> {
  const url = hubUrlFrom(io, typeof hub === 'string' ? hub : undefined);
  const credentials = await requireCredentials(url, { env: io.env });
  const client = new HubClient({ url, credentials });
  return { io, admin: new HubAdmin(client), json: json === true, host: client.host };
}

/** Prints `value` as indented JSON; returns exit code 0. */
export function printJson(io: CommandIO, value: unknown): number {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

/**
 * What a group does with a subcommand it does not know: the help for none (exit 1) or for a
 * help request (exit 0), else a usage error.
 */
export function unknownSub(group: string, sub: string | undefined, io: CommandIO): number {
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HUB_ADMIN_HELP);
    return sub === undefined ? 1 : 0;
  }
  throw new UsageError(`unknown hub ${group} command "${sub}"`);
}

/**
 * Aligns rows under their headers, columns two spaces apart (the last one unpadded).
 *
 * @example
 * formatTable(['NAME', 'ADMIN'], [['admin', 'yes']]); // 'NAME   ADMIN\nadmin  yes\n'
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

/** An ISO instant without its milliseconds; `-` for none. */
export function when(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : '-';
}

/** `yes` or `no`. */
export const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');

/** A duration such as `30d` (with a unit) or an ISO 8601 date, as milliseconds since the epoch. */
function parseWhen(text: string, option: string, direction: 1 | -1, now: number): number {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return now + direction * parseDuration(text, option);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new UsageError(`${option}: expected a duration such as 30d or 12h, or a date such as 2030-01-31, got "${text}"`);
  return at;
}

/**
 * `--expires 30d|DATE` as an ISO instant: a duration counts from `now`; the result must be in the future.
 *
 * @example
 * parseExpiry('30d', Date.parse('2030-01-01T00:00:00Z')); // '2030-01-31T00:00:00.000Z'
 */
export function parseExpiry(text: string, now: number = Date.now()): string {
  const at = parseWhen(text, '--expires', 1, now);
  if (at <= now) throw new UsageError(`--expires ${text}: that is not in the future`);
  return new Date(at).toISOString();
}

/**
 * `--since 1h|DATE` as an ISO instant: a duration counts back from `now`.
 *
 * @example
 * parseSince('1h', Date.parse('2030-01-01T01:00:00Z')); // '2030-01-01T00:00:00.000Z'
 */
export function parseSince(text: string, option = '--since', now: number = Date.now()): string {
  return new Date(parseWhen(text, option, -1, now)).toISOString();
}

/** An on/off (or true/false) option as a boolean; `undefined` when not given. */
export function onOff(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new UsageError(`${option}: expected on or off, got "${value}"`);
}

/** An option that must be one of `allowed`; `undefined` when not given. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option}: expected ${allowed.join(', ')}, got "${value}"`);
}
