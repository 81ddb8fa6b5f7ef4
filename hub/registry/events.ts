/**
 * What happened in the registry, for the Hub's features (signing, scanning, dependency
 * tracking) to react to, rather than being wired into the HTTP handlers. Events are emitted
 * after the change is committed; a failing listener is logged and never fails the request.
 */
export type RegistryEvent =
  | { type: 'manifest.pushed'; repository: string; digest: string; mediaType: string; tag?: string; subject?: string }
  | { type: 'manifest.deleted'; repository: string; digest: string }
  | { type: 'tag.deleted'; repository: string; tag: string };

export type RegistryListener = (event: RegistryEvent) => void | Promise<void>;

export class RegistryEvents {
  private readonly listeners = new Set<RegistryListener>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RegistryEvent): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((err: unknown) => console.error(JSON.stringify({ level: 'error', event: event.type, error: String(err) })));
    }
  }
}
