import { describe, expect, it } from 'vitest';
import { declaredPorts, parsePublish, recordedPolicies, recordedPorts } from './recorded.ts';

describe('recordedPolicies', () => {
  it('reads the policies nocker build recorded', () => {
    const text = '{"resources":{"cpu":1,"memory":64000000},"security":{"level":"high","network":"restricted"}}';
    expect(recordedPolicies({ Labels: { 'dev.nocker.policies': text } })).toEqual({ security: { level: 'high', network: 'restricted' }, resources: { cpu: 1, memory: 64000000 } });
  });

  it('is undefined for images built elsewhere', () => {
    expect(recordedPolicies({})).toBeUndefined();
  });

  it('refuses a label it cannot read rather than run without it', () => {
    expect(() => recordedPolicies({ Labels: { 'dev.nocker.policies': '{"security":{"level":"paranoid"}}' } })).toThrow(/not a policy nocker can read/);
    expect(() => recordedPolicies({ Labels: { 'dev.nocker.policies': 'nope' } })).toThrow(/not a policy nocker can read/);
    expect(() => recordedPolicies({ Labels: { 'dev.nocker.policies': '{"resources":{"memory":-1}}' } })).toThrow(/not a policy nocker can read/);
  });
});

describe('ports', () => {
  it('reads -p values', () => {
    expect(parsePublish('8080:3000', '0.0.0.0')).toEqual({ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 3000, protocol: 'tcp' });
    expect(parsePublish('127.0.0.2:53:5353/udp', '0.0.0.0')).toEqual({ hostIp: '127.0.0.2', hostPort: 53, containerPort: 5353, protocol: 'udp' });
    expect(parsePublish('[::1]:8080:80', '0.0.0.0')).toMatchObject({ hostIp: '::1', hostPort: 8080 });
    expect(() => parsePublish('80', '0.0.0.0')).toThrow(/expected \[IP:\]HOST:CONTAINER/);
    expect(() => parsePublish('8080:70000', '0.0.0.0')).toThrow(/ports 1-65535/);
  });

  it('reads the ports the image publishes and exposes', () => {
    const config = { ExposedPorts: { '3000/tcp': {}, '53/udp': {} } as Record<string, Record<string, never>>, Labels: { 'dev.nocker.ports': '["8080:3000/tcp"]' } };
    expect(recordedPorts(config)).toEqual([{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 3000, protocol: 'tcp' }]);
    expect(declaredPorts(config)).toEqual([3000, 53]);
    expect(() => recordedPorts({ Labels: { 'dev.nocker.ports': '{}' } })).toThrow(/not a list of ports/);
  });
});
