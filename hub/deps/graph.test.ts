import { describe, expect, it } from 'vitest';
import { parseArtifactDependencies, parseImageName, viaBase } from './graph.ts';

const digest = `sha256:${'b'.repeat(64)}`;

describe('parseImageName', () => {
  it('reads host, repository, tag and digest as builds write them', () => {
    expect(parseImageName('127.0.0.1:5000/library/debian:12')).toEqual({ host: '127.0.0.1:5000', repository: 'library/debian', tag: '12' });
    expect(parseImageName('library/debian')).toEqual({ repository: 'library/debian' });
    expect(parseImageName(`localhost/team/app:v1@${digest}`)).toEqual({ host: 'localhost', repository: 'team/app', tag: 'v1', digest });
    expect(parseImageName(`hub.example.com/a@${digest}`)).toEqual({ host: 'hub.example.com', repository: 'a', digest });
  });

  it('gives nothing for what is not a reference', () => {
    expect(parseImageName('Library/Debian')).toBeUndefined();
    expect(parseImageName('team/app@sha256:short')).toBeUndefined();
    expect(parseImageName('team/app:-bad')).toBeUndefined();
    expect(parseImageName('')).toBeUndefined();
  });
});

describe('parseArtifactDependencies', () => {
  it('keeps the pinned references and leaves out the rest', () => {
    const annotation = JSON.stringify([`127.0.0.1:5000/team/model:v2@${digest}`, 'team/unpinned:v1', 7, `team/data@${digest}`]);
    expect(parseArtifactDependencies(annotation)).toEqual([
      { reference: `127.0.0.1:5000/team/model:v2@${digest}`, host: '127.0.0.1:5000', repository: 'team/model', tag: 'v2', digest },
      { reference: `team/data@${digest}`, repository: 'team/data', digest },
    ]);
  });

  it('gives nothing for a missing or malformed annotation', () => {
    expect(parseArtifactDependencies(undefined)).toEqual([]);
    expect(parseArtifactDependencies('{not json')).toEqual([]);
    expect(parseArtifactDependencies('{"a":1}')).toEqual([]);
  });
});

describe('viaBase', () => {
  const base = { repository: 'library/debian', digest, tag: '12' };
  const findings = [{ id: 'CVE-1', layer: 'l1' }, { id: 'CVE-2', layer: 'l3' }, { id: 'CVE-3' }];

  it('marks the findings in the layers the image inherited', () => {
    expect(viaBase(findings, ['l1', 'l2', 'l3'], { base, layerCount: 2 })).toEqual([{ id: 'CVE-1', layer: 'l1', viaBase: base }, { id: 'CVE-2', layer: 'l3' }, { id: 'CVE-3' }]);
  });

  it('marks nothing without a known base', () => {
    expect(viaBase(findings, ['l1', 'l2', 'l3'], undefined)).toEqual(findings);
  });
});
