import { describe, expect, it } from 'vitest';
import { formatGcReport, parseDuration } from './gc.ts';
import type { GcReport } from './gc.ts';

const DIGEST_A = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const DIGEST_B = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DIGEST_C = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['250', 250],
    ['0', 0],
    ['0h', 0],
    [' 2h ', 7_200_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text, '--grace')).toBe(ms);
  });

  it.each(['', 'abc', '1.5h', '-1h', '1w', '1 h', 'h', '1hour', '1h30m', '1H'])('rejects %j, naming the option', (text) => {
    expect(() => parseDuration(text, '--upload-expiry')).toThrow(/^--upload-expiry: expected a duration such as 30m, 1h or 7d/);
  });

  it('quotes the rejected value', () => {
    expect(() => parseDuration('soon', '--grace')).toThrow('got "soon"');
  });
});

describe('formatGcReport', () => {
  const full: GcReport = {
    dryRun: false,
    manifests: [{ repository: 'library/ubuntu', digest: DIGEST_A }],
    blobs: [
      { digest: DIGEST_B, size: 100 },
      { digest: DIGEST_C, size: 2 },
    ],
    orphans: [{ digest: DIGEST_A, size: 5 }],
    uploads: ['6f1c3a2e-upload'],
    leftovers: ['multipart upload blobs/sha256/aa/aaaa 2~x'],
    bytesFreed: 107,
  };

  it('lists each removal, then the totals', () => {
    expect(formatGcReport(full)).toBe(
      [
        `removed manifest library/ubuntu@${DIGEST_A}`,
        `removed blob ${DIGEST_B} (100 bytes)`,
        `removed blob ${DIGEST_C} (2 bytes)`,
        `removed unrecorded blob ${DIGEST_A} (5 bytes)`,
        'removed abandoned upload 6f1c3a2e-upload',
        'removed storage leftover multipart upload blobs/sha256/aa/aaaa 2~x',
        '1 manifests, 3 blobs, 1 uploads, 1 storage leftovers; 107 bytes freed',
        '',
      ].join('\n'),
    );
  });

  it('says what a dry run would remove', () => {
    expect(formatGcReport({ ...full, dryRun: true })).toBe(
      [
        `would remove manifest library/ubuntu@${DIGEST_A}`,
        `would remove blob ${DIGEST_B} (100 bytes)`,
        `would remove blob ${DIGEST_C} (2 bytes)`,
        `would remove unrecorded blob ${DIGEST_A} (5 bytes)`,
        'would remove abandoned upload 6f1c3a2e-upload',
        'would remove storage leftover multipart upload blobs/sha256/aa/aaaa 2~x',
        'dry run: 1 manifests, 3 blobs, 1 uploads, 1 storage leftovers; 107 bytes would be freed',
        '',
      ].join('\n'),
    );
  });

  it('prints only the totals when there is nothing to remove', () => {
    const empty: GcReport = { dryRun: false, manifests: [], blobs: [], orphans: [], uploads: [], leftovers: [], bytesFreed: 0 };
    expect(formatGcReport(empty)).toBe('0 manifests, 0 blobs, 0 uploads; 0 bytes freed\n');
    expect(formatGcReport({ ...empty, dryRun: true })).toBe('dry run: 0 manifests, 0 blobs, 0 uploads; 0 bytes would be freed\n');
  });
});
