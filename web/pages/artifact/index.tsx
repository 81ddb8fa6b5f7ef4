/**
 * The artifact page: one tag or digest of a repository, with a tab per aspect. The manifest is
 * fetched once here; each tab module renders its part from that view, and a few tabs answer
 * downloads (SBOM documents, the vulnerability CSV, the raw manifest) instead of a page.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { Tabs } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { ARTIFACT_TABS, artifactUrl, referenceName, type ArtifactTab } from '../../paths.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { renderDependenciesTab } from './dependencies.tsx';
import { ArtifactHeader, readSignatures } from './header.tsx';
import { renderLayersTab } from './layers.tsx';
import { loadArtifact } from './load.ts';
import { downloadManifest, renderManifestTab } from './manifest.tsx';
import { renderOverviewTab } from './overview.tsx';
import { renderReferrersTab } from './referrers.tsx';
import { downloadSbom, renderSbomTab } from './sbom.tsx';
import type { ArtifactView, TabRenderer } from './types.ts';
import { downloadVulnerabilities, renderVulnerabilitiesTab } from './vulnerabilities.tsx';

const LABELS: Record<ArtifactTab, string> = {
  overview: 'Overview',
  layers: 'Layers',
  referrers: 'Referrers',
  sbom: 'SBOM',
  vulnerabilities: 'Vulnerabilities',
  dependencies: 'Dependencies',
  manifest: 'Manifest',
};

const RENDERERS: Record<ArtifactTab, TabRenderer> = {
  overview: renderOverviewTab,
  layers: renderLayersTab,
  referrers: renderReferrersTab,
  sbom: renderSbomTab,
  vulnerabilities: renderVulnerabilitiesTab,
  dependencies: renderDependenciesTab,
  manifest: renderManifestTab,
};

/** Tabs that answer a file instead of the page when their query asks for one (undefined: render the page). */
const DOWNLOADS: Partial<Record<ArtifactTab, (c: Context<WebEnv>, artifact: ArtifactView) => Promise<Response | undefined>>> = {
  sbom: downloadSbom,
  vulnerabilities: downloadVulnerabilities,
  manifest: downloadManifest,
};

function isTab(value: string): value is ArtifactTab {
  return (ARTIFACT_TABS as readonly string[]).includes(value);
}

async function artifactPage(c: Context<WebEnv>, tab: ArtifactTab): Promise<Response> {
  const name = c.req.param('name') ?? '';
  const reference = c.req.param('reference') ?? '';
  const { view, platforms } = await loadArtifact(c.var.hub, name, reference, c.req.query('platform') || undefined);
  const download = await DOWNLOADS[tab]?.(c, view);
  if (download) return download;

  const [signatures, content] = await Promise.all([readSignatures(c.var.hub, view), RENDERERS[tab](c, view)]);
  // The chosen platform travels with every tab link, so switching tabs keeps the image.
  const platform = view.selected?.platform;
  const tabs = ARTIFACT_TABS.map((t) => ({ href: artifactUrl(name, reference, t, { platform }), label: LABELS[t], current: t === tab }));
  const title = referenceName(name, reference);
  return c.render(
    <>
      <ArtifactHeader view={view} host={c.var.hub.host} tab={tab} platforms={platforms} signatures={signatures} />
      <Tabs tabs={tabs} />
      <section aria-label={LABELS[tab]}>{content}</section>
    </>,
    { title: tab === 'overview' ? title : `${LABELS[tab]} · ${title}`, section: 'explore' },
  );
}

/** `GET /r/NAME/-/REF` (Overview) and `GET /r/NAME/-/REF/TAB`; an unknown tab is the catalog's 404. */
export function artifactRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/r/:name{.+}/-/:reference', (c) => artifactPage(c, 'overview'));
  app.get('/r/:name{.+}/-/:reference/:tab', (c) => {
    const tab = c.req.param('tab');
    if (!isTab(tab)) throw new OciError('UNSUPPORTED', `an artifact has no tab "${tab}"`, { status: 404 });
    return artifactPage(c, tab);
  });
  return app;
}
