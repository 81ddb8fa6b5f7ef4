import { describe, expect, it } from 'vitest';
import { storableText } from './storable-text.ts';

describe('storableText', () => {
  it('replaces control characters a text column refuses or a log line garbles, and keeps lines and tabs', () => {
    expect(storableText('bad \u0000 byte\u001b[31m\nnext\tline')).toBe('bad ? byte?[31m\nnext\tline');
  });

  it('caps the length', () => {
    expect(storableText('x'.repeat(5000))).toHaveLength(2000);
  });
});
