import { describe, expect, it } from 'vitest';

describe('the Node SDK', () => {
  it('is what the package exports, under its name and under nocker/hub/client', async () => {
    const root = await import('nocker');
    const client = await import('nocker/hub/client');
    expect(root).toBe(client);
    expect(typeof root.HubClient).toBe('function');
    expect(typeof root.pushImage).toBe('function');
    expect(typeof root.mountBlob).toBe('function');
    expect(typeof root.downloadBlob).toBe('function');
    expect(new root.HubClient({ url: 'http://127.0.0.1:5000' }).host).toBe('127.0.0.1:5000');
  });
});
