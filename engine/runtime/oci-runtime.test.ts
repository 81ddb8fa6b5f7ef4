import { describe, expect, it } from 'vitest';
import { exitCodeForRuntimeError } from './oci-runtime.ts';

describe('exitCodeForRuntimeError', () => {
  it("maps runc's and crun's start failures to Docker's exit codes", () => {
    expect(exitCodeForRuntimeError('unable to start container process: exec: "nope": executable file not found in $PATH')).toBe(127);
    expect(exitCodeForRuntimeError('unable to start container process: exec: "/nope": stat /nope: no such file or directory')).toBe(127);
    expect(exitCodeForRuntimeError('executable file `nope` not found in $PATH: No such file or directory')).toBe(127);
    expect(exitCodeForRuntimeError('unable to start container process: exec: "/etc": permission denied')).toBe(126);
    expect(exitCodeForRuntimeError('unable to start container process: exec: "/x": exec format error')).toBe(126);
    expect(exitCodeForRuntimeError('cgroups in hybrid mode not supported, drop all controllers from cgroupv2')).toBe(125);
    expect(exitCodeForRuntimeError('error mounting "proc" to rootfs: no such file or directory')).toBe(125);
  });
});
