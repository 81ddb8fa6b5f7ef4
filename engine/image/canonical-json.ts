/**
 * JSON with a stable byte form: object keys sorted, no whitespace, so that the same value
 * always hashes to the same digest.
 */

/** A value that JSON can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

function sortKeys(value: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v) ?? null);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort()) {
    const v = sortKeys(value[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Serializes `value` with its object keys sorted (recursively) and `undefined` members dropped.
 *
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: JsonValue): string {
  return JSON.stringify(sortKeys(value));
}
