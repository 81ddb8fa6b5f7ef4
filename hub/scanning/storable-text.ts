/** Text from failures, made fit for the database's text columns. */

/**
 * An error message as a text column takes it: control characters (NUL above all, which
 * PostgreSQL refuses) replaced, and at most 2,000 characters. Messages may quote hostile content.
 *
 * @example
 * storableText('bad \u0000 byte'); // 'bad ? byte'
 */
export function storableText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '?').slice(0, 2000);
}
