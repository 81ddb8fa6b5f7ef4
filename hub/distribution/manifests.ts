/** `/v2/<name>/manifests/<reference>`: PUT, GET, HEAD and DELETE by tag or digest. */
import { Hono, type Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { repositoryAccess, type AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { StoredManifest } from '../registry/manifests.ts';
import type { SignatureGate } from '../policy/gate.ts';
import { isInternalRequest } from '../internal-request.ts';
import { readSmallBody } from './body.ts';
import { NAME, repositoryName } from './params.ts';

/** The header a pull names its environment in (`production` when absent), for trust policies. */
export const ENVIRONMENT_HEADER = 'Nocker-Environment';
/** The header a `warn` policy flags an image that does not meet it with. */
export const POLICY_WARNING_HEADER = 'Nocker-Policy-Warning';

/**
 * A check of manifest GETs under one kind of namespace policy (the trust gate, the vulnerability
 * gate); `policy` names that kind in refusals and warnings (`trust policy` when absent).
 */
export type ManifestGate = Pick<SignatureGate, 'decide'> & { readonly policy?: string };

export function manifestRoutes(registry: Registry, access: AccessControl, maxManifestBytes: number, gate: ManifestGate | readonly ManifestGate[] = []): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  // In order: the first that refuses under `enforce` refuses the GET; warnings add up.
  const gates: readonly ManifestGate[] = [gate].flat();
  const { manifests } = registry;

  app.put(`/v2/${NAME}/manifests/:reference`, repositoryAccess(access, 'push', { audit: 'push' }), async (c) => {
    const name = repositoryName(c);
    const reference = c.req.param('reference');
    const body = await readSmallBody(c, maxManifestBytes, 'manifest');
    const immutableTags = (await c.var.auth.namespace(name))?.immutableTags ?? false;
    const result = await manifests.put(name, reference, body, c.req.header('content-type'), { immutableTags });
    return c.body(null, 201, {
      Location: `/v2/${name}/manifests/${result.digest}`,
      'Docker-Content-Digest': result.digest,
      'Content-Length': '0',
      ...(result.subject ? { 'OCI-Subject': result.subject } : {}),
    });
  });

  app.get(`/v2/${NAME}/manifests/:reference`, repositoryAccess(access, 'pull', { audit: 'pull', auditMethods: ['GET'] }), async (c) => {
    const name = repositoryName(c);
    const reference = c.req.param('reference');
    const manifest = await manifests.get(name, reference);
    requireAcceptable(c, manifest);
    const headers: Record<string, string> = {
      'Content-Type': manifest.mediaType,
      'Content-Length': String(manifest.content.byteLength),
      'Docker-Content-Digest': manifest.digest,
      ETag: `"${manifest.digest}"`,
    };
    // HEAD stays open: clients resolve digests with it to fetch an image's signatures. The web
    // catalog reads to show, not to run: it reports the verdicts itself.
    const warnings: string[] = [];
    for (const check of c.req.method === 'GET' && !isInternalRequest(c) ? gates : []) {
      const decision = await check.decide(name, reference, manifest, c.req.header(ENVIRONMENT_HEADER));
      if (decision.allowed) continue;
      const policy = check.policy ?? 'trust policy';
      if (decision.mode === 'enforce') throw new OciError('DENIED', `refused by ${policy}: ${decision.reason}`, { detail: { repository: name, digest: manifest.digest } });
      warnings.push(decision.reason ?? `does not meet the ${policy}`);
      console.warn(JSON.stringify({ level: 'warn', event: 'policy.warn', policy, repository: name, digest: manifest.digest, reason: decision.reason }));
    }
    if (warnings.length > 0) headers[POLICY_WARNING_HEADER] = warnings.join('; ').replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
    return new Response(c.req.method === 'HEAD' ? null : manifest.content, { status: 200, headers });
  });

  app.delete(`/v2/${NAME}/manifests/:reference`, repositoryAccess(access, 'delete', { audit: 'delete' }), async (c) => {
    const name = repositoryName(c);
    const immutableTags = (await c.var.auth.namespace(name))?.immutableTags ?? false;
    await manifests.delete(name, c.req.param('reference'), { immutableTags });
    return c.body(null, 202);
  });

  return app;
}

/**
 * A client that lists the media types it accepts gets a manifest only of one of them, as with
 * CNCF Distribution. No Accept header, a wildcard or `application/json` accepts any.
 */
function requireAcceptable(c: Context, manifest: StoredManifest): void {
  const accept = c.req.header('accept');
  if (!accept) return;
  const types = accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '');
  if (types.some((t) => t === '' || t === '*/*' || t === 'application/*' || t === 'application/json' || t === manifest.mediaType)) return;
  throw new OciError('MANIFEST_UNKNOWN', `the manifest is ${manifest.mediaType}, which the request's Accept header does not list`, {
    detail: { mediaType: manifest.mediaType },
  });
}
