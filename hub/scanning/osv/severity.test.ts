import { describe, expect, it } from 'vitest';
import { parseOsvRecord } from './record.ts';
import { recordSeverity, severityFromWord } from './severity.ts';

const CRITICAL_V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const MEDIUM_V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N';
const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function record(fields: Record<string, unknown>) {
  return parseOsvRecord({ id: 'NOCK-SEV', modified: '2099-01-01T00:00:00Z', ...fields }, 'fixture');
}

describe('recordSeverity', () => {
  it('scores a CVSS v3 vector', () => {
    expect(recordSeverity(record({ severity: [{ type: 'CVSS_V3', score: MEDIUM_V3 }] }))).toEqual({ level: 'medium', score: 6.1, vector: MEDIUM_V3, from: 'CVSS_V3' });
  });

  it('takes the highest of the record\'s and the affected packages\' vectors, over any severity word', () => {
    const r = record({
      severity: [{ type: 'CVSS_V3', score: MEDIUM_V3 }],
      affected: [{ package: { ecosystem: 'npm', name: 'w' }, severity: [{ type: 'CVSS_V3', score: CRITICAL_V3 }] }],
      database_specific: { severity: 'LOW' },
    });
    expect(recordSeverity(r)).toEqual({ level: 'critical', score: 9.8, vector: CRITICAL_V3, from: 'CVSS_V3' });
  });

  it('leaves a CVSS v4 vector unscored and takes the level from the database\'s word', () => {
    const r = record({ severity: [{ type: 'CVSS_V4', score: V4 }], database_specific: { severity: 'MODERATE' } });
    expect(recordSeverity(r)).toEqual({ level: 'medium', vector: V4, from: 'database_specific.severity' });
    expect(recordSeverity(record({ severity: [{ type: 'CVSS_V4', score: V4 }] }))).toEqual({ level: 'unknown', vector: V4 });
  });

  it('reads Debian urgencies and distribution severities from the affected entries', () => {
    const debian = record({ affected: [{ package: { ecosystem: 'Debian:12', name: 'w' }, ecosystem_specific: { urgency: 'low**' } }, { package: { ecosystem: 'Debian:11', name: 'w' }, ecosystem_specific: { urgency: 'high' } }] });
    expect(recordSeverity(debian)).toEqual({ level: 'high', from: 'affected[1].ecosystem_specific.urgency' });
    const distro = record({ affected: [{ package: { ecosystem: 'Alpine:v3.20', name: 'w' }, database_specific: { severity: 'critical' } }] });
    expect(recordSeverity(distro)).toEqual({ level: 'critical', from: 'affected[0].database_specific.severity' });
  });

  it('reads an Ubuntu priority', () => {
    expect(recordSeverity(record({ severity: [{ type: 'Ubuntu', score: 'medium' }] }))).toEqual({ level: 'medium', from: 'severity[0].score' });
  });

  it('skips a malformed vector for the other evidence', () => {
    expect(recordSeverity(record({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], database_specific: { severity: 'HIGH' } }))).toEqual({ level: 'high', from: 'database_specific.severity' });
  });

  it('is unknown without evidence, or with words that say nothing', () => {
    expect(recordSeverity(record({}))).toEqual({ level: 'unknown' });
    expect(recordSeverity(record({ affected: [{ ecosystem_specific: { urgency: 'not yet assigned' } }] }))).toEqual({ level: 'unknown' });
  });

  it('reports a 0.0 score as low, the lowest level', () => {
    const none = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N';
    expect(recordSeverity(record({ severity: [{ type: 'CVSS_V3', score: none }] }))).toEqual({ level: 'low', score: 0, vector: none, from: 'CVSS_V3' });
  });
});

describe('severityFromWord', () => {
  it('maps the words databases use', () => {
    expect(['CRITICAL', 'High', 'important', 'MODERATE', 'medium', 'low', 'negligible', 'unimportant', 'untriaged', 'end-of-life'].map(severityFromWord)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', 'low', 'unknown', 'unknown']);
  });
});
