import { describe, expect, it } from 'vitest';
import { artifactUrl, pullReference, repositoryUrl, ui } from './paths.ts';

describe('catalog paths', () => {
  it('drops empty query values and encodes the rest', () => {
    expect(ui('/explore', { q: 'a b&c', page: 2, namespace: '', sort: undefined })).toBe('/ui/explore?q=a+b%26c&page=2');
  });

  it('keeps the slashes of repository names and encodes their segments', () => {
    expect(repositoryUrl('team/app')).toBe('/ui/r/team/app');
    expect(repositoryUrl('team/<x>')).toBe('/ui/r/team/%3Cx%3E');
  });

  it('puts the reference after /-/ and the tab after it', () => {
    expect(artifactUrl('team/app', 'v1')).toBe('/ui/r/team/app/-/v1');
    expect(artifactUrl('team/app', 'sha256:ab', 'layers')).toBe('/ui/r/team/app/-/sha256%3Aab/layers');
  });

  it('writes pull references by tag and by digest', () => {
    expect(pullReference('hub:5000', 'team/app', 'v1')).toBe('hub:5000/team/app:v1');
    expect(pullReference('hub:5000', 'team/app', 'sha256:ab')).toBe('hub:5000/team/app@sha256:ab');
  });
});
