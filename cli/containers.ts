/**
 * The container lifecycle commands Docker and Podman users know: `ps`, `logs`, `stop`, `rm`,
 * `exec`, and `inspect` of a container. Each finds containers by name, id or id prefix in the
 * local container store and leaves the work to engine/runtime.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pushArtifact } from '../engine/image/artifact.ts';
import { fileDigest } from '../engine/image/blob.ts';
import { ContainerStore, humanDuration, observedState, statusText } from '../engine/runtime/containers.ts';
import { LOG_FILE, parseSince, readLogs } from '../engine/runtime/logs.ts';
import { execInContainer, removeContainer, stopContainer } from '../engine/runtime/lifecycle.ts';
import type { ContainerRecord } from '../engine/runtime/types.ts';
import { headManifest } from '../hub/client/pull.ts';
import { type CommandIO, onePositional, parseCommandLine, processIO, splitAtPositional } from './io.ts';
import { connect, dataHomePath } from './pull.ts';
import { UsageError } from './usage.ts';

/** The artifact type of container logs pushed to the Hub; the layer is the JSON-lines log. */
export const CONTAINER_LOG_ARTIFACT_TYPE = 'application/vnd.nocker.container.log.v1';
export const CONTAINER_LOG_MEDIA_TYPE = 'application/x-ndjson';

function storeFor(io: CommandIO): ContainerStore {
  return new ContainerStore(dataHomePath(io.env));
}

export const PS_HELP = `Usage:
  nocker ps [-a] [-q] [--json]
      List the running containers (with -a, all of them): id, image, command, when created,
      status ("Up 3 minutes", "Exited (1) 2 minutes ago"), published ports and name.

  Options:
      -a, --all     show stopped containers too
      -q, --quiet   print the ids only
      --json        one JSON array of the containers' records

  Example:
      nocker ps -a
`;

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function portsText(record: ContainerRecord): string {
  return record.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ');
}

/** `nocker ps [-a] [-q] [--json]` */
export async function psCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { all: { type: 'boolean', short: 'a' }, quiet: { type: 'boolean', short: 'q' }, json: { type: 'boolean' } }, PS_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`ps takes no arguments, got ${positionals.join(' ')}`);
  const records = (await storeFor(io).list()).map((r) => ({ ...r, state: observedState(r) })).filter((r) => values.all === true || r.state === 'running' || r.state === 'restarting');
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  if (values.quiet === true) {
    for (const r of records) io.stdout.write(`${r.id.slice(0, 12)}\n`);
    return 0;
  }
  const now = new Date();
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const r of records) {
    rows.push([r.id.slice(0, 12), truncate(r.image, 40), `"${truncate(r.command.join(' '), 20)}"`, `${humanDuration(now.getTime() - Date.parse(r.created))} ago`, statusText(r, now), portsText(r), r.name]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) io.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('')}\n`);
  return 0;
}

export const LOGS_HELP = `Usage:
  nocker logs [-f] [--tail N] [--since WHEN] [-t] CONTAINER
  nocker logs CONTAINER --push REF
      Print a container's output: its stdout on stdout and its stderr on stderr, in the order
      it was written (kept as JSON lines in the container's directory). With --push the log is
      pushed to the Hub instead, as an artifact (${CONTAINER_LOG_ARTIFACT_TYPE}) whose
      subject is the image the container ran, into the repository REF names; its digest is
      printed.

  Options:
      -f, --follow       keep printing what comes until the container ends
      --tail N           only the last N lines
      --since WHEN       only lines since WHEN: 10m, 1h30m, 45s, an RFC 3339 time or unix seconds
      -t, --timestamps   start each line with its time
      --push REF         push the log to the Hub, referring to the container's image, in REF's repository
      --hub HUB          the Hub, when REF does not name one

  Example:
      nocker logs -f --tail 20 web
      nocker logs web --push 127.0.0.1:5000/team/web
`;

/** `nocker logs [-f] [--tail N] [--since WHEN] [-t] CONTAINER [--push REF]` */
export async function logsCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' }, since: { type: 'string' }, timestamps: { type: 'boolean', short: 't' }, push: { type: 'string' }, hub: { type: 'string' } },
    LOGS_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const query = onePositional(positionals, 'logs', 'container', 'logs needs a container: nocker logs CONTAINER');
  const store = storeFor(io);
  const record = await store.find(query);
  if (values.push !== undefined) {
    io.stdout.write(`${await pushLogs(io, store, record, values.push, values.hub)}\n`);
    return 0;
  }
  const tail = values.tail === undefined || values.tail === 'all' ? undefined : Number(values.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new UsageError(`--tail ${values.tail}: expected a number of lines, or all`);
  let since: Date | undefined;
  if (values.since !== undefined) {
    try {
      since = parseSince(values.since);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const entries = readLogs(store.dir(record.id), {
    ...(tail !== undefined ? { tail } : {}),
    ...(since ? { since } : {}),
    follow: values.follow === true,
    isRunning: async () => {
      const now = await store.get(record.id);
      return now !== undefined && observedState(now) !== 'exited' && now.state !== 'created';
    },
  });
  for await (const entry of entries) {
    const line = values.timestamps === true ? `${entry.time} ${entry.log}` : entry.log;
    if (entry.stream === 'stderr') io.stderr.write(line);
    else io.stdout.write(line);
  }
  return 0;
}

/** Pushes the container's log file as an artifact referring to its image; resolves to the artifact's digest. */
async function pushLogs(io: CommandIO, store: ContainerStore, record: ContainerRecord, ref: string, hub: string | undefined): Promise<string> {
  const remote = await connect(io, ref, hub);
  const path = join(store.dir(record.id), LOG_FILE);
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size === 0) throw new Error(`container ${record.name} has written no output: there is no log to push`);
  const digest = await fileDigest(path);
  const subject = await headManifest(remote.client, remote.reference.repository, record.imageDigest);
  return pushArtifact(remote.client, remote.reference.repository, {
    artifactType: CONTAINER_LOG_ARTIFACT_TYPE,
    layer: { mediaType: CONTAINER_LOG_MEDIA_TYPE, digest, size, path, annotations: { 'org.opencontainers.image.title': `${record.name}.log.jsonl` } },
    subject,
    annotations: { 'dev.nocker.container.id': record.id, 'dev.nocker.container.name': record.name, 'org.opencontainers.image.created': new Date().toISOString() },
  });
}

export const STOP_HELP = `Usage:
  nocker stop [-t SECONDS] CONTAINER…
      Stop running containers: SIGTERM, then SIGKILL after the timeout (default 10 seconds).
      A stopped container does not restart, whatever its restart policy. Prints each name.

  Options:
      -t, --time SECONDS   how long to wait after SIGTERM before SIGKILL

  Example:
      nocker stop -t 2 web
`;

/** `nocker stop [-t SECONDS] CONTAINER…` */
export async function stopCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { time: { type: 'string', short: 't' } }, STOP_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('stop needs a container: nocker stop CONTAINER');
  const timeout = values.time === undefined ? 10 : Number(values.time);
  if (!(Number.isFinite(timeout) && timeout >= 0)) throw new UsageError(`-t ${values.time}: expected a number of seconds`);
  const store = storeFor(io);
  for (const query of positionals) {
    const record = await store.find(query);
    await stopContainer(store, record.id, timeout);
    io.stdout.write(`${query}\n`);
  }
  return 0;
}

export const RM_HELP = `Usage:
  nocker rm [-f] CONTAINER…
      Remove containers: their root filesystem, logs and record. A running container is only
      removed with -f, which kills it first. Prints each name.

  Options:
      -f, --force   kill and remove running containers

  Example:
      nocker rm -f web
`;

/** `nocker rm [-f] CONTAINER…` */
export async function rmCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { force: { type: 'boolean', short: 'f' } }, RM_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('rm needs a container: nocker rm CONTAINER');
  const store = storeFor(io);
  for (const query of positionals) {
    const record = await store.find(query);
    await removeContainer(store, record.id, { force: values.force === true });
    io.stdout.write(`${query}\n`);
  }
  return 0;
}

const EXEC_OPTIONS = { 'env-var': { type: 'string', short: 'e', multiple: true }, workdir: { type: 'string', short: 'w' }, user: { type: 'string', short: 'u' } } as const;

export const EXEC_HELP = `Usage:
  nocker exec [-e K=V] [-w DIR] [-u USER] CONTAINER COMMAND [ARG…]
      Run a command in a running container, as its user unless -u says otherwise, under the
      same limits and security. Its output is printed; its exit code is nocker's (126 when the
      command cannot be executed, 127 when it is not found).

  Options:
      -e, --env-var K=V   set an environment variable
      -w, --workdir DIR   the working directory
      -u, --user USER     the user, as uid[:gid]

  Example:
      nocker exec web cat /etc/os-release
`;

/** `nocker exec [-e K=V] [-w DIR] [-u USER] CONTAINER COMMAND…` */
export async function execCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const { own, rest } = splitAtPositional(argv, EXEC_OPTIONS);
  const parsed = parseCommandLine(own, io, EXEC_OPTIONS, EXEC_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const query = onePositional(positionals, 'exec', 'container', 'exec needs a container: nocker exec CONTAINER COMMAND…');
  if (rest.length === 0) throw new UsageError('exec needs a command: nocker exec CONTAINER COMMAND [ARG…]');
  const store = storeFor(io);
  const record = await store.find(query);
  if (observedState(record) !== 'running') throw new Error(`container ${record.name} is not running`);
  return execInContainer(store, record, rest, {
    ...(values['env-var'] ? { env: values['env-var'] } : {}),
    ...(values.workdir ? { cwd: values.workdir } : {}),
    ...(values.user ? { user: values.user } : {}),
  });
}

/**
 * The container `query` names, for `nocker inspect`; undefined when none does (an image then).
 *
 * @example
 * const record = await findContainer(io, 'web');
 */
export async function findContainer(io: CommandIO, query: string): Promise<ContainerRecord | undefined> {
  if (query.includes('/') || query.includes(':')) return undefined;
  const store = storeFor(io);
  const record = await store.find(query).catch(() => undefined);
  return record ? { ...record, state: observedState(record) } : undefined;
}
