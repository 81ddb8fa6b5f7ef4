/** `GET /v2/<name>/referrers/<digest>`: the manifests whose subject is that digest, as an index. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { repositoryAccess, type AuthEnv } from '../auth/middleware.ts';
import { MediaType } from '../oci/mediatypes.ts';
import type { Registry } from '../registry/registry.ts';
import { NAME, digestParam, repositoryName } from './params.ts';

export function referrerRoutes(registry: Registry, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get(`/v2/${NAME}/referrers/:digest`, repositoryAccess(access, 'pull'), async (c) => {
    const name = repositoryName(c);
    const digest = digestParam(c);
    const artifactType = c.req.query('artifactType') || undefined;
    const manifests = await registry.manifests.referrers(name, digest, artifactType);
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
    return c.body(body, 200, {
      'Content-Type': MediaType.OciIndex,
      ...(artifactType ? { 'OCI-Filters-Applied': 'artifactType' } : {}),
    });
  });
  return app;
}
