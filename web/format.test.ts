import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatTime, shortDigest } from './format.ts';

describe('catalog formatting', () => {
  it('writes sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(formatBytes(undefined)).toBe('—');
  });

  it('writes times in UTC to the minute, and ages in whole units', () => {
    expect(formatTime('2026-11-29T04:20:11Z')).toBe('2026-11-29 04:20 UTC');
    expect(formatTime('not a date')).toBe('—');
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(formatAge('2026-11-29T09:00:00Z', now)).toBe('3 hours ago');
    expect(formatAge('2026-11-28T12:00:00Z', now)).toBe('1 day ago');
    expect(formatAge('2026-11-29T11:59:30Z', now)).toBe('just now');
  });

  it('shortens digests to twelve hex digits', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
  });
});
