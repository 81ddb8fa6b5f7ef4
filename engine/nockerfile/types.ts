/**
 * The resolved Nockerfile as the rest of Nocker sees it: one environment applied, variables
 * substituted, values normalised (sizes in bytes, ports and commands in one shape).
 */
import type { BaseImage, Dependency, PortMapping } from './values.ts';

export type { BaseImage, Dependency, DependencyVersion, PortMapping } from './values.ts';

/** A command: `shell` runs `args[0]` with `/bin/sh -c`; `exec` runs `args` as they are. */
export interface Command {
  form: 'shell' | 'exec';
  args: string[];
}

export type BuildStep =
  | { kind: 'run'; command: string }
  | { kind: 'copy'; src: string; dest: string }
  | { kind: 'workdir'; path: string }
  | { kind: 'env'; variables: Record<string, string> };

export interface BuildSection {
  base: BaseImage;
  /** Network access of `run` steps; `host` unless the file says `none`. */
  network: 'none' | 'host';
  /** Artifacts the build depends on, resolved through their Hub and pinned in Nockerfile.lock. */
  dependencies: Dependency[];
  steps: BuildStep[];
}

export interface RunSection {
  command?: Command;
  entrypoint?: Command;
  ports: PortMapping[];
  environment: Record<string, string>;
  user?: string;
  workdir?: string;
}

export interface SecurityPolicy {
  level?: 'low' | 'medium' | 'high';
  network?: 'none' | 'restricted' | 'host';
}

export interface ResourcePolicy {
  /** CPUs, fractions allowed. */
  cpu?: number;
  /** Memory limit in bytes. */
  memory?: number;
}

export interface Policies {
  security: SecurityPolicy;
  resources: ResourcePolicy;
}

/** A Nockerfile with one environment applied. */
export interface Nockerfile {
  /** Absolute path of the Nockerfile. */
  source: string;
  /** Absolute paths of every file merged, the Nockerfile first (then any `Nockerfile.<env>.yml`). */
  sources: string[];
  version: string;
  name: string;
  /** The environment applied. */
  environment: string;
  variables: Record<string, string>;
  build: BuildSection;
  run: RunSection;
  policies: Policies;
}
