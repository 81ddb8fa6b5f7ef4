/**
 * Manifests recently served, by repository and reference (tag or digest), so that the hottest
 * request of a registry rarely reaches the database.
 *
 * Correctness rests on invalidation per repository: every change to a repository's tags or
 * manifests bumps its generation, which makes its entries stale at once. A read that began
 * before a change may not store what it read (it carries the generation it started with).
 * Changes made by other Hub replicas arrive as invalidations too (see `hub/server.ts`); the
 * time-to-live bounds how long a lost one could matter.
 */
import type { StoredManifest } from './manifests.ts';

/** The database channel on which replicas announce the repositories whose manifests changed. */
export const MANIFEST_CHANGES_CHANNEL = 'nocker_manifest_changes';

export interface ManifestCacheOptions {
  /** Most bytes of manifest content kept; the least recently used go first. */
  maxBytes: number;
  /** Longest an entry is trusted. */
  ttlMs: number;
}

interface Entry {
  manifest: StoredManifest;
  generation: number;
  expires: number;
}

export class ManifestCache {
  /** Insertion order is recency: a hit moves the entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly options: ManifestCacheOptions = { maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 }) {}

  /** The repository's current generation; pass it back to `set` after reading the database. */
  generation(repository: string): number {
    return this.generations.get(repository) ?? 0;
  }

  get(repository: string, reference: string): StoredManifest | undefined {
    const key = keyOf(repository, reference);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.generation !== this.generation(repository) || entry.expires <= Date.now()) {
      this.remove(key, entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.manifest;
  }

  /** Keeps what a read found, unless the repository changed since the read began. */
  set(repository: string, reference: string, manifest: StoredManifest, generation: number): void {
    if (generation !== this.generation(repository) || manifest.content.byteLength > this.options.maxBytes / 4) return;
    const key = keyOf(repository, reference);
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.entries.set(key, { manifest, generation, expires: Date.now() + this.options.ttlMs });
    this.bytes += manifest.content.byteLength;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.remove(oldestKey, oldest);
    }
  }

  /** Forgets everything about a repository (its entries go stale and are dropped lazily). */
  invalidate(repository: string): void {
    this.generations.set(repository, this.generation(repository) + 1);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.manifest.content.byteLength;
  }
}

function keyOf(repository: string, reference: string): string {
  return `${repository}\n${reference}`;
}
