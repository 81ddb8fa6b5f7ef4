/**
 * The catalog workload: how fast the Hub answers for a repository with 10,000 tags (1,000 with
 * --quick) over a few hundred distinct manifests. The data is written in process (blobs and
 * manifests through the registry service, the tags in bulk), then a Hub is started on it and
 * the first tags page of the catalog API and the web catalog's repository page are timed as
 * the signed-in administrator: the median of 20 runs each, against a 200 ms target.
 *
 * Run by the bench as workload `catalog`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../hub/config.ts';
import { manifests, repositories, tags } from '../hub/db/schema.ts';
import { MediaType } from '../hub/oci/mediatypes.ts';
import { openBackends, startHub } from '../hub/server.ts';
import { repositoryUrl } from '../web/paths.ts';
import { CSRF_COOKIE, CSRF_FIELD } from '../web/security.ts';
import type { Check, Row } from './report.ts';
import { percentile } from './stats.ts';
import type { Metric } from './workloads.ts';

export const CATALOG_ID = 'catalog';
const TITLE = '11 catalog, one repository of many tags';
const TARGET_MS = 200;
const RUNS = 20;
const REPOSITORY = 'bench/catalog';
const ADMIN = { name: 'admin', password: `bench-${randomBytes(9).toString('hex')}` };

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Writes the repository: one image's blobs, `distinct` manifests over them, `tagCount` tags spread over those. */
async function seed(dataDir: string, env: Record<string, string>, tagCount: number, distinct: number): Promise<void> {
  const backends = await openBackends(loadConfig({ env, cwd: dataDir }));
  try {
    const { registry, database } = backends;
    const layer = Buffer.from('catalog bench layer');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    for (const blob of [layer, config]) await registry.uploads.putWhole(REPOSITORY, sha256(blob), Readable.from([blob]));
    for (let i = 0; i < distinct; i++) {
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
          annotations: { 'org.opencontainers.image.version': `build ${i}` },
        }),
      );
      await registry.manifests.put(REPOSITORY, `build-${i}`, manifest, MediaType.OciManifest);
    }
    const db = database.db;
    const [repository] = await db.select({ id: repositories.id }).from(repositories).where(eq(repositories.name, REPOSITORY));
    const ids = (await db.select({ id: manifests.id }).from(manifests).where(eq(manifests.repositoryId, repository!.id))).map((m) => m.id);
    // The rest of the tags in bulk, each pushed a second apart, over the manifests in turn.
    const now = Date.now();
    const rows = Array.from({ length: tagCount - distinct }, (_, i) => ({
      repositoryId: repository!.id,
      name: `1.${Math.floor(i / 100)}.${i % 100}`,
      manifestId: ids[i % ids.length]!,
      updatedAt: new Date(now - (tagCount - i) * 1000),
    }));
    for (let start = 0; start < rows.length; start += 1000) await db.insert(tags).values(rows.slice(start, start + 1000));
  } finally {
    await backends.close();
  }
}

/** Signs in to the web catalog as a browser does; answers the cookies to send. */
async function signIn(base: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${base}/ui/signin`, { redirect: 'manual' });
  keep(form);
  await form.arrayBuffer();
  const body = new URLSearchParams({ name: ADMIN.name, password: ADMIN.password, next: '/ui/explore', [CSRF_FIELD]: jar.get(CSRF_COOKIE) ?? '' });
  const res = await fetch(`${base}/ui/signin`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { cookie: cookies(), origin: base, 'content-type': 'application/x-www-form-urlencoded' },
  });
  keep(res);
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`signing in to the catalog answered ${res.status}`);
  return cookies();
}

/** Median milliseconds of `RUNS` GETs (after two untimed ones), or the status of a GET that is not 200. */
async function time(url: string, headers: Record<string, string>): Promise<{ ms: number; p90: number } | { status: number }> {
  const samples: number[] = [];
  for (let run = -2; run < RUNS; run++) {
    const started = performance.now();
    const res = await fetch(url, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) return { status: res.status };
    if (run >= 0) samples.push(performance.now() - started);
  }
  const sorted = samples.sort((a, b) => a - b);
  return { ms: percentile(sorted, 50), p90: percentile(sorted, 90) };
}

/**
 * The catalog workload's rows: the first tags page and the repository page, in milliseconds.
 *
 * @example
 * hubMetrics.push(...(await catalogBenchmark(true, log)));
 */
export async function catalogBenchmark(quick: boolean, log: (line: string) => void): Promise<Metric[]> {
  const tagCount = quick ? 1_000 : 10_000;
  const distinct = quick ? 30 : 300;
  const dataDir = await mkdtemp(join(tmpdir(), 'nocker-bench-catalog-'));
  const env = { NOCKER_DATA_DIR: dataDir, NOCKER_LISTEN: '127.0.0.1:0', NOCKER_ADMIN_PASSWORD: ADMIN.password };
  try {
    const seeding = performance.now();
    await seed(dataDir, env, tagCount, distinct);
    log(`  ${tagCount} tags over ${distinct} manifests written in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const hub = await startHub(loadConfig({ env, cwd: dataDir }), { quiet: true });
    try {
      const basic = { authorization: `Basic ${Buffer.from(`${ADMIN.name}:${ADMIN.password}`).toString('base64')}` };
      const row = (id: string, metric: string, result: Awaited<ReturnType<typeof time>>): Metric => ({
        key: `${CATALOG_ID}.${id}`,
        workload: TITLE,
        metric,
        unit: 'ms',
        value: 'ms' in result ? result.ms : null,
        better: 'lower',
        note: 'ms' in result ? `median of ${RUNS}, p90 ${result.p90.toFixed(1)} ms` : result.status === 404 ? 'pending: the page answers 404' : `answered ${result.status}`,
      });
      const tagsPage = await time(`${hub.url}/api/v1/repositories/${REPOSITORY}/tags`, basic);
      const details = await time(`${hub.url}/api/v1/repositories/${REPOSITORY}`, basic);
      const listing = await time(`${hub.url}/api/v1/repositories`, basic);
      const page = await time(`${hub.url}${repositoryUrl(REPOSITORY)}`, { cookie: await signIn(hub.url) });
      return [
        row('tags', `GET /api/v1/repositories/NAME/tags, first page of ${tagCount}`, tagsPage),
        row('details', 'GET /api/v1/repositories/NAME', details),
        row('repositories', 'GET /api/v1/repositories', listing),
        row('page', 'GET /ui/r/NAME, signed in', page),
      ];
    } finally {
      await hub.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The catalog workload's targets: the first tags page and the repository page within 200 ms.
 *
 * @example
 * const checks = [...evaluateChecks(rows, hasVs), ...catalogChecks(rows)];
 */
export function catalogChecks(rows: readonly Row[]): Check[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return ['tags', 'page'].flatMap((id): Check[] => {
    const row = byKey.get(`${CATALOG_ID}.${id}`);
    if (!row) return [];
    const target = `${CATALOG_ID}.${id} < ${TARGET_MS} ms`;
    if (row.hub === null) return [{ target, status: 'n/a', detail: row.notes.join('; ') || 'not measured' }];
    return [{ target, status: row.hub < TARGET_MS ? 'pass' : 'FAIL', detail: `median ${row.hub.toFixed(1)} ms` }];
  });
}
