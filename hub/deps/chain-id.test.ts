import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baseByLayers, chainIds } from './chain-id.ts';

const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(digest) as [string, string, string, string];

describe('chainIds', () => {
  it('starts with the first diffID and chains each next one', () => {
    const chain = chainIds([a, b, c]);
    expect(chain[0]).toBe(a);
    expect(chain[1]).toBe(digest(`${a} ${b}`));
    expect(chain[2]).toBe(digest(`${chain[1]} ${c}`));
    expect(chainIds([])).toEqual([]);
  });

  it('differs when the order of the layers does', () => {
    expect(chainIds([a, b]).at(-1)).not.toBe(chainIds([b, a]).at(-1));
  });
});

describe('baseByLayers', () => {
  const image = { digest: 'sha256:app', chainIds: chainIds([a, b, c]) };

  it('picks the known image with the longest proper prefix of the stack', () => {
    const os = { digest: 'sha256:os', chainIds: chainIds([a]) };
    const runtime = { digest: 'sha256:runtime', chainIds: chainIds([a, b]) };
    expect(baseByLayers(image, [os, runtime])?.digest).toBe('sha256:runtime');
  });

  it('ignores the image itself, equal stacks, longer stacks and stacks that differ below', () => {
    const same = { digest: 'sha256:copy', chainIds: chainIds([a, b, c]) };
    const longer = { digest: 'sha256:child', chainIds: chainIds([a, b, c, d]) };
    const other = { digest: 'sha256:other', chainIds: chainIds([d, b]) };
    expect(baseByLayers(image, [image, same, longer, other])).toBeUndefined();
  });
});
