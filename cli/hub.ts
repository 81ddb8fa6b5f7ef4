/** `nocker hub …`: serve the Hub, collect its garbage, manage its accounts and namespaces. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../hub/config.ts';
import { startHub } from '../hub/server.ts';
import { runGarbageCollection } from '../hub/gc-runner.ts';
import { formatGcReport, parseDuration } from '../hub/registry/gc.ts';
import { HUB_ADMIN_HELP } from './admin/help.ts';
import { ADMIN_GROUPS, hubAdminCommand, type AdminGroup } from './hub-admin.ts';
import { vulndbCommand } from './admin/vulndb.ts';
import { parseOrUsage, processIO } from './io.ts';
import { UsageError } from './usage.ts';

export const HUB_HELP = `Usage:
  nocker hub serve [--config FILE]
      Start the Hub. Settings come from the environment, then from FILE
      (default: ./nocker-hub.yaml when it exists):
        NOCKER_LISTEN              host:port to listen on (default 127.0.0.1:5000)
        NOCKER_DATA_DIR            data directory (default ./.nocker)
        DATABASE_URL               postgres://… to keep metadata in PostgreSQL
        NOCKER_MAX_MANIFEST_BYTES  largest manifest accepted (default 4194304)
        NOCKER_S3_BUCKET …         keep blobs in S3 (see the README for every S3 setting)
        NOCKER_AUTH                off: no authentication, for a local sandbox (default on)
        NOCKER_ADMIN_PASSWORD      password of "admin", created on first start (else generated
                                   and printed once)
        NOCKER_TOKEN_KEY           PEM key (ES256/EdDSA) or its path, to sign tokens (default:
                                   generated into the data directory)
        NOCKER_TOKEN_TTL           access token lifetime in seconds (default 300)
        NOCKER_PUBLIC_URL          the Hub's address as clients see it, behind a proxy

  nocker hub gc [--config FILE] [--dry-run] [--delete-untagged] [--grace 1h] [--upload-expiry 24h]
      Remove blobs no manifest references (and, with --delete-untagged, manifests no tag,
      index or kept subject needs). Nothing used within the grace period is touched, so it
      is safe while pushes go on. --dry-run only reports.

  Examples:
      NOCKER_LISTEN=0.0.0.0:5000 NOCKER_DATA_DIR=/var/lib/nocker nocker hub serve
      nocker hub gc --dry-run --delete-untagged --grace 2h
`;

function isAdminGroup(sub: string | undefined): sub is AdminGroup {
  return (ADMIN_GROUPS as readonly (string | undefined)[]).includes(sub);
}

export async function hubCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (isAdminGroup(sub)) return hubAdminCommand(sub, rest);
  switch (sub) {
    case 'serve':
      return serve(rest);
    case 'gc':
      return gc(rest);
    case 'vulndb':
      return vulndbCommand(rest, processIO());
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(`${HUB_HELP}\n${HUB_ADMIN_HELP}`);
      return sub === undefined ? 1 : 0;
    default:
      throw new UsageError(`unknown hub command "${sub}"`);
  }
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;

async function serve(argv: string[]): Promise<number> {
  const { values } = parseOrUsage(() => parseArgs({ args: argv, options: { ...CONFIG_OPTION, ...HELP_OPTION }, strict: true }));
  if (values.help) {
    process.stdout.write(HUB_HELP);
    return 0;
  }
  const config = loadConfig({ file: values.config });
  const hub = await startHub(config);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('nocker hub stopping');
      hub.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

async function gc(argv: string[]): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: argv,
      options: {
        ...CONFIG_OPTION,
        ...HELP_OPTION,
        'dry-run': { type: 'boolean' },
        'delete-untagged': { type: 'boolean' },
        grace: { type: 'string', default: '1h' },
        'upload-expiry': { type: 'string', default: '24h' },
      },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(HUB_HELP);
    return 0;
  }
  const config = loadConfig({ file: values.config });
  const report = await runGarbageCollection(config, {
    dryRun: values['dry-run'] === true,
    deleteUntagged: values['delete-untagged'] === true,
    gracePeriodMs: parseOrUsage(() => parseDuration(values.grace, '--grace')),
    uploadExpiryMs: parseOrUsage(() => parseDuration(values['upload-expiry'], '--upload-expiry')),
  });
  process.stdout.write(formatGcReport(report));
  return 0;
}
