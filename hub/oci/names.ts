/**
 * The distribution spec's grammar for repository names and tags, and the reference a manifest
 * route is given (a tag or a digest).
 */
import { OciError } from './errors.ts';
import { parseDigest, type Digest } from './digest.ts';

/** Path components: lowercase alphanumerics separated by `.`, `_`, `__` or dashes. */
const NAME_GRAMMAR = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_GRAMMAR = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Clients (docker among them) refuse longer names; the Hub does too. */
export const MAX_NAME_LENGTH = 255;

/** Throws NAME_INVALID unless `name` is a valid repository name. */
export function validateRepositoryName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw new OciError('NAME_INVALID', `repository name is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  }
  if (!NAME_GRAMMAR.test(name)) {
    throw new OciError(
      'NAME_INVALID',
      `"${name.slice(0, 100)}" is not a valid repository name: use lowercase letters and digits in path components separated by "/", joined by ".", "_", "__" or "-"`,
    );
  }
  return name;
}

/** True when `tag` matches the tag grammar. */
export function isTag(tag: string): boolean {
  return TAG_GRAMMAR.test(tag);
}

export type ManifestReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** Reads the `<reference>` of a manifest route: a digest if it has a colon, else a tag. */
export function parseManifestReference(reference: string): ManifestReference {
  if (reference.includes(':')) return { kind: 'digest', digest: parseDigest(reference) };
  if (!isTag(reference)) {
    throw new OciError(
      'TAG_INVALID',
      `"${reference.slice(0, 140)}" is not a valid tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
    );
  }
  return { kind: 'tag', tag: reference };
}
