/** Which Hub a command talks to. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hubUrlFrom, type CommandIO } from './io.ts';
import { UsageError } from './usage.ts';

describe('hubUrlFrom', () => {
  const io = (env: Record<string, string>): CommandIO => ({ stdin: Readable.from([]), stdout: { write: () => true }, stderr: { write: () => true }, env });

  it('takes the argument, then NOCKER_HUB, then 127.0.0.1:5000', () => {
    expect(hubUrlFrom(io({ NOCKER_HUB: 'hub.example.com' }), '127.0.0.1:6000')).toBe('http://127.0.0.1:6000');
    expect(hubUrlFrom(io({ NOCKER_HUB: 'hub.example.com' }), undefined, undefined)).toBe('https://hub.example.com');
    expect(hubUrlFrom(io({}))).toBe('http://127.0.0.1:5000');
  });

  it('refuses two different Hubs and bad addresses as usage errors', () => {
    expect(() => hubUrlFrom(io({}), 'a:1', 'b:2')).toThrow(UsageError);
    expect(hubUrlFrom(io({}), 'a:1', 'a:1')).toBe('https://a:1');
    expect(() => hubUrlFrom(io({}), 'http://h/path')).toThrow(UsageError);
  });
});
