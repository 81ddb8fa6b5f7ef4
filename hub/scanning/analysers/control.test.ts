import { describe, expect, it } from 'vitest';
import { parseControlStanzas, parseHeaderBlock } from './control.ts';

describe('parseControlStanzas', () => {
  it('splits on blank lines, joins continuation lines and lowercases field names', () => {
    const stanzas = parseControlStanzas('Package: a\nDescription: short\n more\n .\n end\n\n\nPACKAGE: b\r\nVersion: 2\r\n');
    expect(stanzas.map((stanza) => Object.fromEntries(stanza))).toEqual([
      { package: 'a', description: 'short\nmore\n.\nend' },
      { package: 'b', version: '2' },
    ]);
  });

  it('keeps the first of a repeated field and skips lines that are not fields', () => {
    const [stanza] = parseControlStanzas('Package: a\nnot a field\nPackage: b\n continued\n');
    expect(Object.fromEntries(stanza!)).toEqual({ package: 'a' });
  });
});

describe('parseHeaderBlock', () => {
  it('reads only the headers before the body', () => {
    expect(Object.fromEntries(parseHeaderBlock('Name: x\nVersion: 1\n\nVersion: 2\n'))).toEqual({ name: 'x', version: '1' });
  });
});
