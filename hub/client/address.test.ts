import { describe, expect, it } from 'vitest';
import { thrownBy } from '../oci/thrown.ts';
import { HubAddressError, hubHost, isLoopbackHost, normalizeHubUrl, resolveHubUrl } from './address.ts';

describe('normalizeHubUrl', () => {
  it('gives loopback host:port http://', () => {
    expect(normalizeHubUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(normalizeHubUrl('127.3.2.1:80')).toBe('http://127.3.2.1');
    expect(normalizeHubUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(normalizeHubUrl('[::1]:5000')).toBe('http://[::1]:5000');
  });

  it('gives every other host:port https://', () => {
    expect(normalizeHubUrl('hub.example.com:5000')).toBe('https://hub.example.com:5000');
    expect(normalizeHubUrl('hub.example.com')).toBe('https://hub.example.com');
    expect(normalizeHubUrl('10.0.0.5:5000')).toBe('https://10.0.0.5:5000');
    expect(normalizeHubUrl('128.0.0.1:5000')).toBe('https://128.0.0.1:5000');
  });

  it('keeps an explicit scheme and drops a trailing slash', () => {
    expect(normalizeHubUrl('http://10.0.0.5:5000/')).toBe('http://10.0.0.5:5000');
    expect(normalizeHubUrl('https://127.0.0.1:5000')).toBe('https://127.0.0.1:5000');
    expect(normalizeHubUrl('HTTP://Hub.Example.com')).toBe('http://hub.example.com');
  });

  it('refuses paths, credentials, other schemes and nonsense', () => {
    for (const bad of ['', '  ', 'http://h/v2', 'ftp://h', 'http://u:p@h', 'h:notaport', 'a b']) {
      expect(thrownBy(() => normalizeHubUrl(bad), HubAddressError).message).toMatch(/Hub address/);
    }
  });
});

describe('hubHost', () => {
  it('is host:port without a scheme, as docker keys auths', () => {
    expect(hubHost('http://127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(hubHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(hubHost('https://hub.example.com:443')).toBe('hub.example.com');
    expect(hubHost('[::1]:5000')).toBe('[::1]:5000');
  });
});

describe('resolveHubUrl', () => {
  it('prefers the flag, then NOCKER_HUB, then 127.0.0.1:5000', () => {
    expect(resolveHubUrl('localhost:6000', { NOCKER_HUB: 'hub.example.com' })).toBe('http://localhost:6000');
    expect(resolveHubUrl(undefined, { NOCKER_HUB: 'hub.example.com' })).toBe('https://hub.example.com');
    expect(resolveHubUrl(undefined, { NOCKER_HUB: '' })).toBe('http://127.0.0.1:5000');
    expect(resolveHubUrl(undefined, {})).toBe('http://127.0.0.1:5000');
  });
});

describe('isLoopbackHost', () => {
  it('knows 127/8, localhost and ::1', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });
});
