/**
 * Image references to push to, as `docker` reads them: `[HOST[:PORT]/]NAME[:TAG]`, parsed as
 * the Hub client parses references to pull, without a digest.
 */
import { parseRemoteReference } from '../../hub/client/pull.ts';

export interface ImageReference {
  /** `host:port` when the reference names one. */
  hub?: string;
  repository: string;
  tag: string;
}

/**
 * Parses a reference to push to; the tag defaults to `latest`. Throws on an invalid name or tag,
 * and on a digest (`@sha256:…`), which cannot be pushed to.
 *
 * @example
 * parseImageReference('127.0.0.1:5000/team/app:v1'); // { hub: '127.0.0.1:5000', repository: 'team/app', tag: 'v1' }
 * parseImageReference('team/app');                    // { repository: 'team/app', tag: 'latest' }
 */
export function parseImageReference(text: string): ImageReference {
  if (text.includes('@')) throw new Error(`"${text}": a digest reference cannot be pushed to; give a tag`);
  // Without a digest the tag is always set (latest by default).
  const { hub, repository, tag } = parseRemoteReference(text);
  return { ...(hub ? { hub } : {}), repository, tag: tag as string };
}
