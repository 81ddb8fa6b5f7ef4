/**
 * Image references as `docker` reads them: `[HOST[:PORT]/]NAME[:TAG]`. The first path component
 * is a Hub when it has a `.` or a `:`, or is `localhost`.
 */
import { isTag, validateRepositoryName } from '../../hub/oci/names.ts';

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
  const slash = text.indexOf('/');
  const first = slash === -1 ? '' : text.slice(0, slash);
  const hasHub = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const rest = hasHub ? text.slice(slash + 1) : text;
  const colon = rest.lastIndexOf(':');
  const repository = colon === -1 ? rest : rest.slice(0, colon);
  const tag = colon === -1 ? 'latest' : rest.slice(colon + 1);
  validateRepositoryName(repository);
  if (!isTag(tag)) throw new Error(`"${tag}" is not a valid tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`);
  return hasHub ? { hub: first, repository, tag } : { repository, tag };
}
