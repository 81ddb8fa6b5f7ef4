/**
 * The OCI image config: platform, runtime defaults, the layers' diffIDs and their history.
 */
import { jsonBlob, type JsonBlob } from './blob.ts';
import type { JsonValue } from './canonical-json.ts';
import { rfc3339 } from './time.ts';

export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';

/**
 * `NAME=value` lists merged by name: a later value replaces an earlier one where it stands,
 * new names are added at the end (Docker's rule for Env).
 *
 * @example
 * mergeEnv(['A=1', 'B=2'], ['A=3', 'C=4']); // ['A=3', 'B=2', 'C=4']
 */
export function mergeEnv(...lists: readonly (readonly string[])[]): string[] {
  const byName = new Map<string, string>();
  for (const entry of lists.flat()) byName.set(entry.split('=', 1)[0] ?? entry, entry);
  return [...byName.values()];
}

/** The runtime defaults of an image (the `config` member of the image config). */
export interface RuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

/** One step of how the image was made; `empty_layer` when it added no layer. */
export interface HistoryEntry {
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

export interface ImageConfigInput {
  /** `amd64`, `arm64`… */
  architecture: string;
  os: string;
  variant?: string;
  /** The uncompressed layers' digests, base first. */
  diffIds: string[];
  /** One entry per step; defaults to one per layer. */
  history?: HistoryEntry[];
  /** Seconds since the epoch (SOURCE_DATE_EPOCH). */
  created: number;
  author?: string;
  config?: RuntimeConfig;
}

/**
 * Builds the image config as canonical JSON bytes.
 *
 * @example
 * const config = imageConfig({ architecture: 'amd64', os: 'linux', diffIds: [layer.diffId], created: 0 });
 * config.digest; // 'sha256:…', the same for the same input
 */
export function imageConfig(input: ImageConfigInput): JsonBlob {
  const created = rfc3339(input.created);
  const steps: HistoryEntry[] = input.history ?? input.diffIds.map(() => ({}));
  const history = steps.map((h) => ({ created, ...h }));
  const layersInHistory = history.filter((h) => !h.empty_layer).length;
  if (layersInHistory !== input.diffIds.length) {
    throw new Error(`the history names ${layersInHistory} layers, the image has ${input.diffIds.length}`);
  }
  const value: { [key: string]: JsonValue | undefined } = {
    created,
    author: input.author,
    architecture: input.architecture,
    os: input.os,
    variant: input.variant,
    config: (input.config ?? {}) as { [key: string]: JsonValue | undefined },
    rootfs: { type: 'layers', diff_ids: input.diffIds },
    history: history as { [key: string]: JsonValue | undefined }[],
  };
  return jsonBlob(CONFIG_MEDIA_TYPE, value);
}
