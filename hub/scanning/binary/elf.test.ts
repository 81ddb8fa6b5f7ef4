import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elfSection, elfSections, isElf } from './elf.ts';
import { testElf } from './testing-elf.ts';

describe('elfSections', () => {
  it.each([
    [64, true],
    [64, false],
    [32, true],
    [32, false],
  ] as const)('finds sections by name in a %i-bit file, little-endian %s', (bits, littleEndian) => {
    const elf = testElf({ bits, littleEndian, sections: [{ name: '.text', data: Buffer.from('code') }, { name: '.dep-v0', data: Buffer.from('deps') }, { name: '.bss', data: Buffer.alloc(0), type: 8 }] });
    expect(isElf(elf)).toBe(true);
    expect(elfSections(elf)?.map((section) => section.name)).toEqual(['', '.text', '.dep-v0', '.bss', '.shstrtab']);
    expect(elfSection(elf, '.dep-v0')?.toString()).toBe('deps');
    expect(elfSection(elf, '.bss')).toBeUndefined();
    expect(elfSection(elf, '.missing')).toBeUndefined();
  });

  it('gives up on what is not ELF, or is cut short, without throwing', () => {
    expect(elfSections(Buffer.from('#!/bin/sh\necho hello\n'))).toBeUndefined();
    const elf = testElf({ sections: [{ name: '.text', data: Buffer.alloc(100) }] });
    for (let length = 0; length < elf.length; length += 7) expect(elfSections(elf.subarray(0, length))).toBeUndefined();
    // A section claiming bytes past the end of the file.
    const lying = Buffer.from(elf);
    const table = Number(lying.readBigUInt64LE(0x28));
    lying.writeBigUInt64LE(10n ** 9n, table + 64 + 32);
    expect(elfSection(lying, '.text')).toBeUndefined();
  });

  it.runIf(existsSync('/usr/bin/oras'))('reads a real binary', () => {
    const names = elfSections(readFileSync('/usr/bin/oras'))?.map((section) => section.name);
    expect(names).toContain('.go.buildinfo');
    expect(names).toContain('.text');
  });
});
