/** Which Hub a command talks to. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OciError } from '../hub/oci/errors.ts';
import { failureText, hubUrlFrom, type CommandIO } from './io.ts';
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

describe('failureText', () => {
  it('is one sentence and a hint for what the user can fix', () => {
    expect(failureText(new OciError('UNAUTHORIZED', 'the Hub at h:1 did not accept ann'), {})).toBe('nocker: the Hub at h:1 did not accept ann\nLog in with "nocker login HUB", or check the saved credentials.\n');
    expect(failureText(new UsageError('pull needs a reference'), {}, 'pull')).toBe('nocker: pull needs a reference\nRun "nocker --help" for usage. Run "nocker pull --help" for its options.\n');
    expect(failureText(new Error('the base image is on another Hub'), {})).toBe('nocker: the base image is on another Hub\n');
  });

  it('points at NOCKER_DEBUG for what looks like a bug, and shows the stack and causes with it', () => {
    const bug = new TypeError('x is undefined', { cause: new Error('deeper') });
    expect(failureText(bug, {})).toBe('nocker: x is undefined\nThis looks like a bug in nocker; run again with NOCKER_DEBUG=1 to see where it happened.\n');
    const debug = failureText(bug, { NOCKER_DEBUG: '1' });
    expect(debug.split('\n').slice(0, 2)).toEqual(['nocker: x is undefined', 'TypeError: x is undefined']);
    expect(debug).toMatch(/^\s+at /m);
    expect(debug).toContain('Caused by: Error: deeper');
    expect(failureText(bug, { NOCKER_DEBUG: '0' })).not.toContain('TypeError');
  });
});
