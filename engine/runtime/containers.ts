/**
 * The containers on this host: one directory per container under `<dataHome>/containers/<id>/`
 * holding its record (`container.json`), its runtime bundle and its logs. Finding a container
 * by name, id or id prefix; names unique; what `ps` says about each.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { open, mkdir, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../build/scratch.ts';
import { releaseContainerRoot } from './container-root.ts';
import type { ContainerRecord, ContainerState } from './types.ts';

/** What a container name may look like (Docker's rule). */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ID_PATTERN = /^[0-9a-f]{64}$/;

/** Words for generated names: `adjective_noun`. */
const ADJECTIVES = ['amber', 'brave', 'brisk', 'calm', 'clever', 'cosy', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lively', 'lucid', 'merry', 'nimble', 'plucky', 'quiet', 'rapid', 'sharp', 'shy', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'witty', 'zesty'];
const NOUNS = ['badger', 'beacon', 'canyon', 'comet', 'falcon', 'fjord', 'glacier', 'harbor', 'heron', 'island', 'lantern', 'lynx', 'meadow', 'nebula', 'orchid', 'otter', 'pebble', 'quokka', 'raven', 'river', 'summit', 'thicket', 'tundra', 'walrus', 'willow', 'yak', 'zephyr'];

/** The fields a caller gives {@link ContainerStore.create}; the store fills in the rest. */
export type NewContainer = Omit<ContainerRecord, 'id' | 'name' | 'created' | 'state' | 'restartCount'> & { name?: string };

/**
 * A generated name: `adjective_noun`, e.g. `brave_otter`.
 *
 * @example
 * generateName(); // 'swift_heron'
 */
export function generateName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
}

/**
 * The state a container is really in: a record that says running (or restarting) whose
 * supervisor process is gone describes a container nobody watches any more; it counts as
 * exited, with its exit code unknown.
 *
 * @example
 * observedState({ ...record, state: 'running', supervisorPid: 999999 }); // 'exited'
 */
export function observedState(record: ContainerRecord): ContainerState {
  if ((record.state === 'running' || record.state === 'restarting') && record.supervisorPid !== undefined && !processAlive(record.supervisorPid)) return 'exited';
  return record.state;
}

/**
 * A duration as Docker says it in `ps`: "Less than a second", "1 second", "12 seconds",
 * "About a minute", "5 minutes", "About an hour", "3 hours", "4 days", "2 weeks", "3 months",
 * "2 years".
 *
 * @example
 * humanDuration(90_000); // 'About a minute'
 */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // From an hour on, hours are rounded rather than cut.
  const hours = Math.round(milliseconds / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(milliseconds / 3_600_000 / 24 / 365)} years`;
}

/** Milliseconds from the ISO time `since` to `now`, never negative. */
function elapsed(since: string | undefined, now: Date): number {
  const start = since === undefined ? NaN : Date.parse(since);
  return Number.isNaN(start) ? 0 : Math.max(0, now.getTime() - start);
}

/**
 * The STATUS column of `ps` for a container, in Docker's words: "Up 3 minutes", "Exited (0) 3
 * minutes ago", "Restarting (1) 2 seconds ago", "Created". A container whose supervisor died
 * without saying how it ended is just "Exited".
 *
 * @example
 * statusText({ ...record, state: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:00:00Z' }, new Date('2026-01-01T00:03:00Z')); // 'Exited (0) 3 minutes ago'
 */
export function statusText(record: ContainerRecord, now = new Date()): string {
  const state = observedState(record);
  if (state === 'running') return `Up ${humanDuration(elapsed(record.startedAt, now))}`;
  if (state === 'restarting') return `Restarting (${record.exitCode ?? 0}) ${humanDuration(elapsed(record.finishedAt, now))} ago`;
  if (state === 'created') return 'Created';
  if (record.state !== 'exited' || record.exitCode === undefined) return 'Exited';
  return record.finishedAt ? `Exited (${record.exitCode}) ${humanDuration(elapsed(record.finishedAt, now))} ago` : `Exited (${record.exitCode})`;
}

/** Writes `data` to `path` so that readers see the old or the new content, never half. */
async function writeAtomically(path: string, data: string): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** How long a process waits for another's name lock before breaking it. */
const LOCK_PATIENCE_MS = 10_000;

/**
 * Runs `fn` holding the lock file at `path` (across processes): made with O_EXCL, holding the
 * holder's pid so that a lock left by a dead process is broken.
 */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_PATIENCE_MS;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      const stale = (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) || Date.now() > deadline;
      if (stale) await unlink(path).catch(() => undefined);
      else await sleep(5 + randomInt(20));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/**
 * Thrown when no container matches what a command was given.
 *
 * @example
 * await store.find('nope'); // throws NoSuchContainerError: no such container: nope
 */
export class NoSuchContainerError extends Error {
  constructor(readonly query: string) {
    super(`no such container: ${query}`);
    this.name = 'NoSuchContainerError';
  }
}

/**
 * The containers under `<dataHome>/containers`. Records are written atomically (temporary file
 * and rename); within this process, updates of one container are applied one at a time.
 *
 * @example
 * const store = new ContainerStore('/var/lib/nocker');
 * const record = await store.create({ image: 'hub.example/app:1', …, name: 'web' });
 * await store.find('web'); // the same record
 */
export class ContainerStore {
  /** Where everything of this data home lives (absolute). */
  readonly dataHome: string;
  #updates = new Map<string, Promise<unknown>>();

  constructor(dataHome: string) {
    this.dataHome = resolve(dataHome);
  }

  /** The directory holding every container's directory: `<dataHome>/containers`. */
  get containersDir(): string {
    return join(this.dataHome, 'containers');
  }

  /** The OCI runtime's state root (`--root`), kept apart from other users of the runtime. */
  get runtimeRoot(): string {
    return join(this.dataHome, 'runtime');
  }

  /**
   * The container's directory: `<dataHome>/containers/<id>`.
   *
   * @example
   * store.dir(record.id); // '/var/lib/nocker/containers/0f3a…'
   */
  dir(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error(`not a container id: ${id}`);
    return join(this.containersDir, id);
  }

  /**
   * The container's runtime bundle: `config.json` and `rootfs/`.
   *
   * @example
   * await writeFile(join(store.bundleDir(id), 'config.json'), JSON.stringify(spec));
   */
  bundleDir(id: string): string {
    return join(this.dir(id), 'bundle');
  }

  /**
   * Makes a new container's directory and record, state `created`. The name is `fields.name`,
   * or a generated one; names are unique among this data home's containers.
   *
   * @example
   * const record = await store.create({ image, imageDigest, configDigest, command: ['/bin/sh'], environment: 'development', restart: { kind: 'no' }, autoRemove: false, ports: [], user: '0:0', runtime: '/usr/sbin/runc' });
   */
  async create(fields: NewContainer): Promise<ContainerRecord> {
    const { name: wanted, ...rest } = fields;
    if (wanted !== undefined && !NAME_PATTERN.test(wanted)) throw new Error(`invalid container name "${wanted}": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed`);
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    // The lock makes "is the name free" and "take it" one step, also across nocker processes.
    return withLock(join(this.containersDir, '.names.lock'), async () => {
      const taken = new Map((await this.list()).map((r) => [r.name, r.id]));
      if (wanted !== undefined && taken.has(wanted)) throw new Error(`the name "${wanted}" is already in use by container ${(taken.get(wanted) ?? '').slice(0, 12)}`);
      let name = wanted ?? generateName();
      for (let attempt = 0; wanted === undefined && taken.has(name); attempt++) name = attempt < 20 ? generateName() : `${generateName()}_${attempt}`;
      const record: ContainerRecord = { ...rest, id: randomBytes(32).toString('hex'), name, created: new Date().toISOString(), state: 'created', restartCount: 0 };
      await mkdir(this.dir(record.id), { mode: 0o700 });
      await writeAtomically(join(this.dir(record.id), 'container.json'), `${JSON.stringify(record, null, 2)}\n`);
      return record;
    });
  }

  /**
   * The record of container `id` (a full id), or undefined when there is none.
   *
   * @example
   * const record = await store.get(id); // undefined once removed
   */
  async get(id: string): Promise<ContainerRecord | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const text = await readFile(join(this.dir(id), 'container.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    return text === undefined ? undefined : (JSON.parse(text) as ContainerRecord);
  }

  /**
   * The container called `query`: an exact full id, an exact name, or a unique id prefix, in
   * that order. Throws {@link NoSuchContainerError}, or an Error when a prefix is ambiguous.
   *
   * @example
   * await store.find('0f3a'); // the container whose id starts with 0f3a
   */
  async find(query: string): Promise<ContainerRecord> {
    const exact = await this.get(query);
    if (exact) return exact;
    const all = await this.list();
    const named = all.find((r) => r.name === query);
    if (named) return named;
    const prefixed = /^[0-9a-f]+$/.test(query) ? all.filter((r) => r.id.startsWith(query)) : [];
    if (prefixed.length > 1) throw new Error(`${query} matches several containers`);
    if (prefixed[0]) return prefixed[0];
    throw new NoSuchContainerError(query);
  }

  /**
   * Every container's record, newest first.
   *
   * @example
   * for (const record of await store.list()) console.log(record.name, statusText(record));
   */
  async list(): Promise<ContainerRecord[]> {
    const entries = await readdir(this.containersDir).catch(() => [] as string[]);
    const records = await Promise.all(entries.filter((e) => ID_PATTERN.test(e)).map((id) => this.get(id).catch(() => undefined)));
    return records.filter((r): r is ContainerRecord => r !== undefined).sort((a, b) => (a.created === b.created ? a.id.localeCompare(b.id) : b.created.localeCompare(a.created)));
  }

  /**
   * Merges `patch` into container `id`'s record and writes it; a field set to `undefined` is
   * removed. Resolves to the new record; throws {@link NoSuchContainerError} when it is gone.
   *
   * @example
   * await store.update(id, { state: 'running', pid: 4242, startedAt: new Date().toISOString() });
   */
  async update(id: string, patch: Partial<Omit<ContainerRecord, 'id'>>): Promise<ContainerRecord> {
    const previous = this.#updates.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const record = await this.get(id);
      if (!record) throw new NoSuchContainerError(id);
      const updated = { ...record, ...patch, id: record.id } as ContainerRecord;
      await writeAtomically(join(this.dir(id), 'container.json'), `${JSON.stringify(updated, null, 2)}\n`);
      return updated;
    });
    this.#updates.set(id, next);
    try {
      return await next;
    } finally {
      if (this.#updates.get(id) === next) this.#updates.delete(id);
    }
  }

  /**
   * Removes container `id`: its root released (unmounted), then its directory. Does not stop
   * it; see removeContainer in supervisor.ts for that. Removing a removed container is no error.
   *
   * @example
   * await store.remove(record.id);
   */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    // An update under way would write into the directory as it goes.
    await this.#updates.get(id)?.catch(() => undefined);
    await releaseContainerRoot(dir);
    await rm(dir, { recursive: true, force: true });
  }
}
