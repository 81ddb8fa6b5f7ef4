import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { testElf } from '../binary/testing-elf.ts';
import { cargoAuditableAnalyser, cargoAuditableExtractor } from './cargo-auditable.ts';

const DEPENDENCIES = {
  packages: [
    { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2, 3], root: true },
    { name: 'serde', version: '1.0.193', source: 'crates.io', dependencies: [2] },
    { name: 'serde_derive', version: '1.0.193', source: 'crates.io', kind: 'build' },
    { name: 'time', version: '0.3.30', source: 'crates.io', kind: 'runtime' },
    { name: 'patched', version: '1.0.0', source: 'git' },
  ],
};

function analyse(binary: Buffer, path = 'usr/local/bin/app') {
  const extract = cargoAuditableExtractor.extract(binary, path);
  return extract ? cargoAuditableAnalyser.analyse(new Map([[`${path}#cargo-auditable`, extract]])) : [];
}

describe('cargoAuditableAnalyser', () => {
  it('lists the crates.io crates of the .dep-v0 section, not the local root, git crates or build-time ones', () => {
    const binary = testElf({ bits: 32, littleEndian: false, sections: [{ name: '.text', data: Buffer.alloc(64) }, { name: '.dep-v0', data: deflateSync(JSON.stringify(DEPENDENCIES)) }] });
    expect(analyse(binary)).toEqual([
      { type: 'cargo', name: 'serde', version: '1.0.193', path: 'usr/local/bin/app' },
      { type: 'cargo', name: 'time', version: '0.3.30', path: 'usr/local/bin/app' },
    ]);
  });

  it('lists a root crate installed from crates.io', () => {
    const installed = { packages: [{ name: 'ripgrep', version: '14.0.3', source: 'crates.io', root: true }] };
    expect(analyse(testElf({ sections: [{ name: '.dep-v0', data: deflateSync(JSON.stringify(installed)) }] }))).toEqual([{ type: 'cargo', name: 'ripgrep', version: '14.0.3', path: 'usr/local/bin/app' }]);
  });

  it('lists nothing for a binary without the section, or with a damaged one', () => {
    expect(cargoAuditableExtractor.extract(testElf({ sections: [{ name: '.text', data: Buffer.alloc(8) }] }), 'x')).toBeUndefined();
    for (const data of [Buffer.from('not zlib'), deflateSync('{"packages":'), deflateSync('{"packages":{}}'), deflateSync('[null, 1]'), deflateSync('{"packages":[null, 1, {"name": 2}]}')]) {
      expect(analyse(testElf({ sections: [{ name: '.dep-v0', data }] }))).toEqual([]);
    }
  });
});
