/**
 * What the parts of the runtime manager share: a container's record on disk, its published
 * ports and its restart policy. Each part (rootfs cache, policy enforcer, supervisor, port
 * publisher) has its own module; this one holds only the shapes they pass to each other.
 */

/** A container port reachable from the host: `-p [IP:]HOST:CONTAINER[/PROTO]`. */
export interface PublishedPort {
  /** The host address to listen on (default 127.0.0.1 for restricted networks, 0.0.0.0 otherwise). */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** `--restart no|on-failure[:N]|always`. */
export type RestartPolicy = { kind: 'no' } | { kind: 'always' } | { kind: 'on-failure'; maxRetries?: number };

/** Where a container is in its life. */
export type ContainerState = 'created' | 'running' | 'restarting' | 'exited';

/**
 * A container as `ps` and `inspect` show it, kept as `container.json` in its directory. The
 * fields up to `restartCount` are fixed at creation; the rest are written by its supervisor.
 */
export interface ContainerRecord {
  /** 64 hex digits; commands accept any unique prefix, or the name. */
  id: string;
  name: string;
  /** The image reference as given on the command line. */
  image: string;
  /** The image manifest's digest. */
  imageDigest: string;
  /** The image config's digest (the rootfs cache key). */
  configDigest: string;
  /** The process: what runs as PID 1 (entrypoint + command resolved). */
  command: string[];
  /** The Nocker environment it runs under (production, testing, development, …). */
  environment: string;
  /** ISO 8601. */
  created: string;
  restart: RestartPolicy;
  /** `--rm`: remove the container when it ends. */
  autoRemove: boolean;
  /** The memory limit in bytes, to say so when the kernel kills it for memory. */
  memoryLimit?: number;
  ports: PublishedPort[];
  /** `uid:gid` the process runs as, for `exec`. */
  user: string;
  /** The OCI runtime's path (runc or crun). */
  runtime: string;

  state: ContainerState;
  /** Times restarted (by the restart policy), as Docker counts: the first start is not one. */
  restartCount: number;
  /** The supervisor process that owns the container. */
  supervisorPid?: number;
  /** The container's init process on the host, while it runs. */
  pid?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** True when the last run ended because the kernel killed it for memory. */
  oomKilled?: boolean;
  /** Why the runtime could not start the process, when it could not. */
  error?: string;
  /** The host directory of the memory cgroup the runtime put the container in (its OOM kills are counted there). */
  memoryCgroup?: string;
}
