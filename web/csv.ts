/**
 * CSV the way spreadsheets read it safely: RFC 4180 quoting, CRLF line ends, and cells that a
 * spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return first) prefixed
 * with `'` so that opening an export never runs what an attacker wrote into it.
 */

/** The first characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: neutralised when it could be read as a formula, quoted when it holds a quote, a
 * comma or a line break.
 *
 * @example
 * csvCell('=HYPERLINK("x")'); // '"\'=HYPERLINK(""x"")"'
 * csvCell('plain'); // 'plain'
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A whole document: the header row, then the rows, each line ended with CRLF.
 *
 * @example
 * toCsv(['id', 'package'], [['CVE-1', 'openssl']]); // 'id,package\r\nCVE-1,openssl\r\n'
 */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}
