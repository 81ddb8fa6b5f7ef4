/**
 * The dependency graph over `/api/v1`, for `nocker deps` and the web catalog:
 *
 * - `GET /api/v1/repositories/NAME/manifests/REF/dependencies`: what the image is built on
 *   (its base and the whole chain of bases), the index's children, the referrer's subject and
 *   the artifacts the build pinned;
 * - `GET …/dependents[?transitive=1]`: the images built on it;
 * - `GET …/rebuild-plan`: with REF a base tag (or digest), the images to rebuild and why.
 *
 * Whoever may pull NAME may ask; images in repositories the caller may not pull are left out
 * of every answer.
 */
import { Hono, type Context } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import type { Database } from '../db/open.ts';
import { artifactDependencies, basesOf, childrenOf, dependentsOf, indexesOf, subjectOf, type DependentImage } from '../deps/graph.ts';
import type { LayerRecorder } from '../deps/record.ts';
import { rebuildPlan } from '../deps/rebuild-plan.ts';
import { validateRepositoryName } from '../oci/names.ts';
import type { Registry } from '../registry/registry.ts';

/** The name and the digest the route's reference resolves to, once the caller may pull it. */
async function requestedImage(c: Context<AuthEnv>, registry: Registry): Promise<{ name: string; reference: string; digest: string }> {
  const name = validateRepositoryName(c.req.param('name') ?? '');
  const reference = c.req.param('reference') ?? '';
  await c.var.auth.require(name, 'pull');
  // MANIFEST_UNKNOWN (or NAME_UNKNOWN) for what is not there, as /v2 answers.
  const { digest } = await registry.manifests.get(name, reference);
  return { name, reference, digest };
}

/** `can(repository, 'pull')`, asked once per repository per request. */
function pullable(c: Context<AuthEnv>): (repository: string) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>();
  return (repository) => {
    let answer = answers.get(repository);
    if (!answer) {
      answer = c.var.auth.can(repository, 'pull');
      answers.set(repository, answer);
    }
    return answer;
  };
}

async function visibleOnly<T extends { repository: string }>(items: readonly T[], visible: (repository: string) => Promise<boolean>): Promise<T[]> {
  const shown = await Promise.all(items.map((item) => visible(item.repository)));
  return items.filter((_, i) => shown[i]);
}

/**
 * Leaves out the dependents the caller may not see; one built on a hidden image hangs from the
 * nearest visible image above it (or the one asked about), its depth counted in visible steps.
 */
async function visibleDependents(dependents: readonly DependentImage[], asked: { repository: string; digest: string }, visible: (repository: string) => Promise<boolean>): Promise<DependentImage[]> {
  const key = (image: { repository: string; digest: string }) => `${image.repository}@${image.digest}`;
  const byKey = new Map(dependents.map((d) => [key(d), d]));
  const shown = new Set((await visibleOnly(dependents, visible)).map(key));
  const placed = new Map<string, { base: { repository: string; digest: string }; depth: number }>();
  const place = (d: DependentImage): { base: { repository: string; digest: string }; depth: number } => {
    const known = placed.get(key(d));
    if (known) return known;
    let base = d.base;
    let parent = byKey.get(key(base));
    // Climb past hidden ancestors.
    while (parent && !shown.has(key(parent))) {
      base = parent.base;
      parent = byKey.get(key(base));
    }
    const spot = parent ? { base, depth: place(parent).depth + 1 } : { base: asked, depth: 1 };
    placed.set(key(d), spot);
    return spot;
  };
  return dependents.filter((d) => shown.has(key(d))).map((d) => ({ ...d, ...place(d) }));
}

/**
 * `publicUrl` is the Hub's address as clients know it (behind a proxy): base annotations naming
 * its host, or the host a request came to, name images on this Hub.
 *
 * @example
 * app.route('/', dependencyRoutes(db, registry, recorder, config.auth.publicUrl));
 */
export function dependencyRoutes(db: Database, registry: Registry, recorder: LayerRecorder, publicUrl?: string): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const prefix = '/api/v1/repositories/:name{.+}/manifests/:reference';

  app.get(`${prefix}/dependencies`, async (c) => {
    const { name, digest } = await requestedImage(c, registry);
    // Answer with every push that came before this request recorded.
    await recorder.settled();
    const visible = pullable(c);
    const bases = await basesOf(db, name, digest);
    // The chain stops at the first base the caller may not see: what lies beyond is not theirs.
    const shownBases = [];
    for (const base of bases) {
      if (!(await visible(base.repository))) break;
      shownBases.push(base);
    }
    const { subject, referrers } = await subjectOf(db, name, digest);
    return c.json({
      repository: name,
      digest,
      base: shownBases[0] ?? null,
      bases: shownBases,
      children: await childrenOf(db, name, digest),
      indexes: await indexesOf(db, name, digest),
      subject,
      referrers,
      artifacts: await artifactDependencies(db, name, digest),
    });
  });

  app.get(`${prefix}/dependents`, async (c) => {
    const { name, digest } = await requestedImage(c, registry);
    await recorder.settled();
    const transitive = ['1', 'true'].includes(c.req.query('transitive') ?? '');
    const dependents = await dependentsOf(db, name, digest, { transitive });
    return c.json({ repository: name, digest, transitive, dependents: await visibleDependents(dependents, { repository: name, digest }, pullable(c)) });
  });

  app.get(`${prefix}/rebuild-plan`, async (c) => {
    const { name, reference } = await requestedImage(c, registry);
    await recorder.settled();
    const hosts = [publicUrl ? new URL(publicUrl).host : undefined, new URL(c.req.url).host, c.req.header('host')].filter((h): h is string => Boolean(h));
    const plan = await rebuildPlan(db, name, reference, { hosts });
    return c.json({ base: plan.base, images: await visibleOnly(plan.images, pullable(c)) });
  });

  return app;
}
