import { describe, expect, it } from 'vitest';
import { cargoAnalyser } from './cargo.ts';

describe('cargoAnalyser', () => {
  it('lists every [[package]] of a Cargo.lock', () => {
    const lock = ['version = 3', '', '[[package]]', 'name = "serde"', 'version = "1.0.193"', 'source = "registry+https://github.com/rust-lang/crates.io-index"', '', '[[package]]', 'name = "app"', 'version = "0.1.0"', 'dependencies = [', ' "serde",', ']', '', '[metadata]', 'name = "not a crate"', 'version = "9"'].join('\n');
    expect(cargoAnalyser.analyse(new Map([['srv/Cargo.lock', Buffer.from(lock)]]))).toEqual([
      { type: 'cargo', name: 'serde', version: '1.0.193', path: 'srv/Cargo.lock' },
      { type: 'cargo', name: 'app', version: '0.1.0', path: 'srv/Cargo.lock' },
    ]);
  });
});
