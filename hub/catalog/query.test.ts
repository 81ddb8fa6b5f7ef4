import { describe, expect, it } from 'vitest';
import { containsPattern } from './query.ts';
import { mapLimited } from './summaries.ts';

describe('containsPattern', () => {
  it('takes LIKE wildcards and the escape character literally', () => {
    expect(containsPattern('app')).toBe('%app%');
    expect(containsPattern('50%_off\\x')).toBe('%50\\%\\_off\\\\x%');
  });
});

describe('mapLimited', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running -= 1;
      return n * 2;
    });
    expect(results).toEqual([10, 2, 8, 4, 6, 0, 12]);
    expect(most).toBe(3);
    expect(await mapLimited([], 8, async () => 1)).toEqual([]);
  });
});
