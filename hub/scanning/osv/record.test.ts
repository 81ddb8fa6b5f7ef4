import { describe, expect, it } from 'vitest';
import { OsvRecordError, parseOsvRecord } from './record.ts';

/** A made-up record with every field the schema names, and some it does not. */
const FULL = {
  schema_version: '1.6.0',
  id: 'NOCK-2099-0001',
  modified: '2099-01-02T03:04:05Z',
  published: '2099-01-01T00:00:00Z',
  aliases: ['CVE-2099-0001'],
  related: ['NOCK-2099-0002'],
  summary: 'Overflow in the widget parser',
  details: 'A long widget name overruns a fixed buffer.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'widget', purl: 'pkg:deb/debian/widget' },
      ranges: [
        { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-3' }], database_specific: { note: 'kept' } },
        { type: 'GIT', repo: 'https://git.example.test/widget', events: [{ introduced: 'abc123' }, { limit: 'def456' }] },
      ],
      versions: ['1.0-1', '1.1-1'],
      ecosystem_specific: { urgency: 'high' },
      database_specific: { source: 'made up' },
      unknown_field: 'dropped',
    },
  ],
  references: [{ type: 'ADVISORY', url: 'https://advisories.example.test/NOCK-2099-0001' }],
  credits: [{ name: 'A. Finder', contact: ['mailto:finder@example.test'], type: 'FINDER' }],
  database_specific: { severity: 'HIGH' },
  extra_top_level: { dropped: true },
};

describe('parseOsvRecord', () => {
  it('keeps every schema field and drops the rest', () => {
    const record = parseOsvRecord(structuredClone(FULL), 'full.json');
    const { extra_top_level: _extra, ...expected } = structuredClone(FULL);
    const { unknown_field: _unknown, ...affected } = FULL.affected[0]!;
    expect(record).toEqual({ ...expected, upstream: [], affected: [{ ...affected, severity: [] }] });
    expect(record).not.toHaveProperty('extra_top_level');
    expect(record.affected[0]).not.toHaveProperty('unknown_field');
  });

  it('fills absent lists with empty ones and leaves absent optional fields out', () => {
    const record = parseOsvRecord({ id: 'NOCK-1', modified: '2099-01-01T00:00:00Z' });
    expect(record).toEqual({ id: 'NOCK-1', modified: '2099-01-01T00:00:00Z', aliases: [], related: [], upstream: [], severity: [], affected: [], references: [], credits: [] });
    expect(Object.keys(record)).not.toContain('withdrawn');
  });

  it('keeps withdrawn', () => {
    expect(parseOsvRecord({ id: 'NOCK-1', modified: '2099-01-01T00:00:00Z', withdrawn: '2099-02-01T00:00:00Z' }).withdrawn).toBe('2099-02-01T00:00:00Z');
  });

  it('refuses a record without id or modified, naming the source and the field', () => {
    expect(() => parseOsvRecord({ modified: '2099-01-01T00:00:00Z' }, 'a.json')).toThrow('a.json: id is missing');
    expect(() => parseOsvRecord({ id: 'NOCK-1' }, 'b.json')).toThrow('b.json: modified is missing');
    expect(() => parseOsvRecord({ id: '', modified: 'x' }, 'c.json')).toThrow('c.json: id must not be empty');
  });

  it('refuses what is not an object', () => {
    for (const json of [null, 'text', 42, []]) expect(() => parseOsvRecord(json, 'x.json')).toThrow(OsvRecordError);
  });

  it('names the path of a malformed nested field', () => {
    const base = { id: 'NOCK-1', modified: 'm' };
    const cases: [unknown, string][] = [
      [{ ...base, aliases: 'CVE-1' }, 'r.json: aliases must be an array'],
      [{ ...base, aliases: ['CVE-1', 2] }, 'r.json: aliases[1] must be a string'],
      [{ ...base, severity: [{ type: 'CVSS_V3' }] }, 'r.json: severity[0].score is missing'],
      [{ ...base, affected: [{ package: { name: 'x' } }] }, 'r.json: affected[0].package.ecosystem is missing'],
      [{ ...base, affected: [{ ranges: [{ type: 'RANGE', events: [{ introduced: '0' }] }] }] }, 'r.json: affected[0].ranges[0].type is "RANGE", not one of SEMVER, ECOSYSTEM, GIT'],
      [{ ...base, affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [] }] }] }, 'r.json: affected[0].ranges[0].events is missing or empty'],
      [{ ...base, affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1' }] }] }] }, 'r.json: affected[0].ranges[0].events has no introduced event'],
      [{ ...base, affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] }, 'r.json: affected[0].ranges[0].events[0] must hold exactly one of introduced, fixed, last_affected, limit'],
      [{ ...base, affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 0 }] }] }] }, 'r.json: affected[0].ranges[0].events[0].introduced must be a string'],
      [{ ...base, affected: [{ ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }] }] }, 'r.json: affected[0].ranges[0].repo is required for a GIT range'],
      [{ ...base, affected: [{ ecosystem_specific: [] }] }, 'r.json: affected[0].ecosystem_specific must be a JSON object'],
      [{ ...base, references: [{ url: 'u' }] }, 'r.json: references[0].type is missing'],
    ];
    for (const [json, message] of cases) expect(() => parseOsvRecord(json, 'r.json'), message).toThrow(message);
  });

  it('carries the source and field on the error', () => {
    try {
      parseOsvRecord({ id: 'NOCK-1', modified: 'm', summary: 3 }, 'feed/NOCK-1.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OsvRecordError);
      expect((err as OsvRecordError).source).toBe('feed/NOCK-1.json');
      expect((err as OsvRecordError).field).toBe('summary');
    }
  });
});
