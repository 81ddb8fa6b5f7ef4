/**
 * `GET /api/v1/repositories/NAME/manifests/DIGEST/signatures[?environment=ENV]`: an image's
 * signatures as the Hub sees them under the namespace's trust policy for ENV (default
 * production) — each one valid, untrusted or invalid, with its signer and time — for the CLI and
 * the web catalog. Whoever may pull the repository may read it.
 */
import { Hono } from 'hono';
import { isPlainSignature, signatureStatus } from '../../engine/sign/checked.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { parseDigest } from '../oci/digest.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';
import { evaluateSignatures } from '../policy/gate.ts';
import type { TrustPolicyLookup } from '../policy/types.ts';
import { DEFAULT_ENVIRONMENT } from '../policy/types.ts';
import { validateEnvironment } from '../policy/validate.ts';
import type { Registry } from '../registry/registry.ts';

export function signatureRoutes(registry: Registry, policies: TrustPolicyLookup): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/api/v1/repositories/:name{.+}/manifests/:digest/signatures', async (c) => {
    const name = validateRepositoryName(c.req.param('name'));
    const digest = c.req.param('digest');
    try {
      parseDigest(digest);
    } catch {
      throw new OciError('DIGEST_INVALID', `"${digest}" is not a digest: give the manifest's sha256:… digest`);
    }
    await c.var.auth.require(name, 'pull');
    // The image must be there: signatures of nothing are not worth a lookup.
    await registry.manifests.get(name, digest);
    const environment = validateEnvironment(c.req.query('environment') ?? DEFAULT_ENVIRONMENT);
    const policy = await policies.find(name.split('/')[0] as string, environment);
    const { checked, signers } = await evaluateSignatures(registry, name, digest, policy);
    return c.json({
      repository: name,
      digest,
      environment,
      policy: policy ? { namespace: policy.namespace, environment: policy.environment, mode: policy.mode, required: policy.required, version: policy.version } : null,
      // Whether the image meets the policy; null when there is none to meet.
      valid: policy ? signers.size >= policy.required : null,
      signatures: checked.map((s) => ({
        format: s.format,
        artifact: s.artifact,
        ...(s.created ? { created: s.created } : {}),
        kind: isPlainSignature(s) ? 'signature' : 'attestation',
        status: signatureStatus(s),
        ...(s.verdict.signer ? { signer: s.verdict.signer } : {}),
        ...(s.verdict.reason ? { reason: s.verdict.reason } : {}),
        ...(s.verdict.predicateType ? { predicateType: s.verdict.predicateType } : {}),
      })),
    });
  });

  return app;
}
