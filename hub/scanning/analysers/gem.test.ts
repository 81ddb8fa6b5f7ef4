import { describe, expect, it } from 'vitest';
import { gemAnalyser } from './gem.ts';

describe('gemAnalyser', () => {
  it('reads the name, version and licence a gemspec assigns, without running it', () => {
    const spec = [
      '# -*- encoding: utf-8 -*-',
      'Gem::Specification.new do |s|',
      '  s.name = "rack".freeze',
      '  s.version = "3.0.8"',
      '  s.licenses = ["MIT".freeze]',
      '  s.summary = system("rm -rf /")',
      'end',
    ].join('\n');
    const path = 'usr/local/bundle/specifications/rack-3.0.8.gemspec';
    expect(gemAnalyser.analyse(new Map([[path, Buffer.from(spec)], ['app/rack.gemspec', Buffer.from(spec)]]))).toEqual([{ type: 'gem', name: 'rack', version: '3.0.8', licenses: ['MIT'], path }]);
    expect(gemAnalyser.wants('app/specifications/x.gemspec')).toBe(true);
    expect(gemAnalyser.wants('app/x.gemspec')).toBe(false);
  });

  it('skips a gemspec without a literal name or version', () => {
    expect(gemAnalyser.analyse(new Map([['specifications/x.gemspec', Buffer.from('s.name = NAME\ns.version = "1"\n')]]))).toEqual([]);
  });
});
