/**
 * `/v2/_catalog` under access control lists exactly what the caller may pull: a robot sees the
 * repositories its permissions name (exactly, or under a prefix) and the public namespaces, and
 * nothing else of the namespaces those repositories sit in.
 */
import { describe, expect, it } from 'vitest';
import { basicAuth, http, pushImage } from './helpers.ts';
import { useTestHub } from './harness.ts';

describe('catalog scope', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));

  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('shows a robot its own repositories and the public ones, not their neighbours', async () => {
    for (const repo of ['team/a', 'team/b', 'team/sub/c', 'other/x', 'pub/y']) await pushImage(base, repo, 'v1');
    expect((await http(base, '/api/v1/namespaces/pub', { method: 'PATCH', ...json({ visibility: 'public' }) })).status).toBe(200);
    const created = await http(base, '/api/v1/robots', {
      method: 'POST',
      ...json({ name: 'lister', permissions: [{ repository: 'team/a', actions: ['pull'] }, { repository: 'team/sub/*', actions: ['pull'] }] }),
    });
    const { secret } = (await created.json()) as { secret: string };

    const listed = await http(base, '/v2/_catalog', { headers: { Authorization: basicAuth('robot$lister', secret) } });
    expect(await listed.json()).toEqual({ repositories: ['pub/y', 'team/a', 'team/sub/c'] });
  });

  it('asks an anonymous caller to log in first', async () => {
    const res = await http(base, '/v2/_catalog', { anonymous: true });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('scope="registry:catalog:*"');
  });
});
