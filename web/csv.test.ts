import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv.ts';

describe('the CSV writer', () => {
  it('leaves plain cells alone and writes empty ones for missing values', () => {
    expect(csvCell('openssl')).toBe('openssl');
    expect(csvCell(9.8)).toBe('9.8');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
  });

  it('quotes cells holding commas, quotes and line breaks, doubling the quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe('"\'=HYPERLINK(""http://evil.example"",""x"")"');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes a header row and CRLF-ended rows', () => {
    expect(toCsv(['id', 'package'], [['CVE-1', 'openssl'], ['GHSA-2', 'a,b']])).toBe('id,package\r\nCVE-1,openssl\r\nGHSA-2,"a,b"\r\n');
    expect(toCsv(['id'], [])).toBe('id\r\n');
  });
});
