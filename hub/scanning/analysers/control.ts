/**
 * Parsing of RFC 822 style header blocks, as in Debian control files (dpkg's status database)
 * and Python core metadata: `Field: value` lines, continuation lines that start with
 * whitespace, and blank lines between stanzas.
 */

/**
 * One stanza: field values keyed by lowercase field name (field names are case-insensitive).
 *
 * @example
 * const stanza: ControlStanza = new Map([['package', 'busybox'], ['version', '1:1.35.0-4+b3']]);
 */
export type ControlStanza = ReadonlyMap<string, string>;

/**
 * Splits `text` into stanzas. A continuation line is appended to the field before it, after a
 * newline and without its leading whitespace; when a field repeats, the first value is kept.
 *
 * @example
 * const [stanza] = parseControlStanzas('Package: busybox\nVersion: 1:1.35.0-4+b3\n');
 * stanza?.get('version'); // '1:1.35.0-4+b3'
 */
export function parseControlStanzas(text: string): ControlStanza[] {
  const stanzas: ControlStanza[] = [];
  let current = new Map<string, string>();
  let lastField: string | undefined;
  const finish = (): void => {
    if (current.size > 0) stanzas.push(current);
    current = new Map();
    lastField = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      finish();
    } else if (/^[ \t]/.test(line)) {
      // A continuation line with no field before it is malformed; there is nothing to attach it to.
      if (lastField !== undefined) current.set(lastField, `${current.get(lastField) ?? ''}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const field = line.slice(0, colon).trim().toLowerCase();
      if (current.has(field)) {
        lastField = undefined;
        continue;
      }
      current.set(field, line.slice(colon + 1).trim());
      lastField = field;
    }
  }
  finish();
  return stanzas;
}

/**
 * The first stanza of `text` only: the headers of a message whose body follows a blank line.
 *
 * @example
 * parseHeaderBlock('Name: requests\nVersion: 2.31.0\n\nA long description.').get('name'); // 'requests'
 */
export function parseHeaderBlock(text: string): ControlStanza {
  const end = text.search(/\r?\n\r?\n/);
  return parseControlStanzas(end === -1 ? text : text.slice(0, end))[0] ?? new Map();
}
