/** The flag values and tables the Hub's account commands share. */
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../hub/oci/thrown.ts';
import { UsageError } from '../usage.ts';
import { formatTable, parseExpiry, parseSince } from './common.ts';

describe('parseExpiry and parseSince', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('count durations from now, forward for expiry and back for since', () => {
    expect(parseExpiry('30d', now)).toBe('2030-01-31T00:00:00.000Z');
    expect(parseExpiry('12h', now)).toBe('2030-01-01T12:00:00.000Z');
    expect(parseSince('1h', '--since', now)).toBe('2029-12-31T23:00:00.000Z');
  });

  it('take ISO dates as they are', () => {
    expect(parseExpiry('2031-06-01', now)).toBe('2031-06-01T00:00:00.000Z');
    expect(parseSince('2029-12-31T12:30:00Z', '--since', now)).toBe('2029-12-31T12:30:00.000Z');
  });

  it('refuse nonsense, bare numbers and expiries in the past', () => {
    expect(thrownBy(() => parseExpiry('soon', now), UsageError).message).toContain('--expires');
    expect(thrownBy(() => parseExpiry('30', now), UsageError).message).toContain('--expires');
    expect(thrownBy(() => parseExpiry('2020-01-01', now), UsageError).message).toContain('not in the future');
    expect(thrownBy(() => parseSince('yesterday', '--since', now), UsageError).message).toContain('--since');
  });
});

describe('formatTable', () => {
  it('aligns columns two spaces apart without trailing blanks', () => {
    expect(formatTable(['NAME', 'ADMIN', 'NOTE'], [['admin', 'yes', ''], ['ann', 'no', 'x']])).toBe('NAME   ADMIN  NOTE\nadmin  yes\nann    no     x\n');
    expect(formatTable(['ID'], [])).toBe('ID\n');
  });
});
