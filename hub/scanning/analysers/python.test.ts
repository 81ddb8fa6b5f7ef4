import { describe, expect, it } from 'vitest';
import { pythonAnalyser } from './python.ts';

const SITE = 'usr/local/lib/python3.12/site-packages';

const DIST_INFO_METADATA = `Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
License: Apache 2.0
Classifier: License :: OSI Approved :: Apache Software License
Requires-Dist: idna (<4,>=2.5)

# Requests

Version: 9.9.9 in the description is not a header.
`;

const EGG_INFO_PKG_INFO = `Metadata-Version: 1.2
Name: PyYAML_compat
Version: 6.0.1
License: MIT License

        Permission is hereby granted, free of charge...
`;

describe('pythonAnalyser', () => {
  it('wants dist-info METADATA and egg-info PKG-INFO only', () => {
    expect(pythonAnalyser.wants(`${SITE}/requests-2.31.0.dist-info/METADATA`)).toBe(true);
    expect(pythonAnalyser.wants(`${SITE}/PyYAML-6.0.1-py3.12.egg-info/PKG-INFO`)).toBe(true);
    expect(pythonAnalyser.wants('usr/lib/python3/dist-packages/six-1.16.0.egg-info')).toBe(true);
    expect(pythonAnalyser.wants(`${SITE}/requests-2.31.0.dist-info/RECORD`)).toBe(false);
    expect(pythonAnalyser.wants(`${SITE}/requests/METADATA`)).toBe(false);
    expect(pythonAnalyser.wants(`${SITE}/x.egg-info/SOURCES.txt`)).toBe(false);
  });

  it('lists distributions from dist-info and egg-info', () => {
    const files = new Map([
      [`${SITE}/requests-2.31.0.dist-info/METADATA`, Buffer.from(DIST_INFO_METADATA)],
      [`${SITE}/PyYAML_compat-6.0.1-py3.12.egg-info/PKG-INFO`, Buffer.from(EGG_INFO_PKG_INFO)],
    ]);
    expect(pythonAnalyser.analyse(files)).toEqual([
      { type: 'pypi', name: 'requests', version: '2.31.0', licenses: ['Apache 2.0'], path: `${SITE}/requests-2.31.0.dist-info/METADATA` },
      { type: 'pypi', name: 'PyYAML_compat', version: '6.0.1', licenses: ['MIT License'], path: `${SITE}/PyYAML_compat-6.0.1-py3.12.egg-info/PKG-INFO` },
    ]);
  });

  it('prefers License-Expression and drops a licence given as its whole text', () => {
    const files = new Map([
      [`${SITE}/a-1.dist-info/METADATA`, Buffer.from('Name: a\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby granted\nLicense-Expression: MIT\n')],
      [`${SITE}/b-2.dist-info/METADATA`, Buffer.from('Name: b\nVersion: 2\nLicense: Copyright (c) someone\n        Permission is hereby granted\n')],
      [`${SITE}/c.dist-info/METADATA`, Buffer.from('Name: c\n')],
    ]);
    expect(pythonAnalyser.analyse(files)).toEqual([
      { type: 'pypi', name: 'a', version: '1', licenses: ['MIT'], path: `${SITE}/a-1.dist-info/METADATA` },
      { type: 'pypi', name: 'b', version: '2', path: `${SITE}/b-2.dist-info/METADATA` },
    ]);
  });
});
