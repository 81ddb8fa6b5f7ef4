/**
 * Explore (`/explore`): the repositories the viewer may pull, as cards, searched, filtered by
 * namespace and sorted by the Hub (one request per page, 24 cards a page).
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { Pager, Time } from '../components.tsx';
import type { WebEnv } from '../env.ts';
import { formatBytes } from '../format.ts';
import { repositoryUrl, ui } from '../paths.ts';
import { HubAdmin, type Namespace } from '../../hub/client/admin.ts';
import { REPOSITORY_SORTS, searchRepositories, type RepositorySort, type RepositorySummary } from '../../hub/client/catalog.ts';
import { OciError } from '../../hub/oci/errors.ts';
import { pageNumber, pageSummary } from '../paging.ts';
import { SignatureBadge, VulnerabilityBadges } from '../badges.tsx';

/** Cards per page. */
export const REPOSITORIES_PER_PAGE = 24;

const SORT_LABELS: Record<RepositorySort, string> = { pushed: 'Last push', name: 'Name', size: 'Size' };

interface ExploreView {
  q: string;
  namespace: string;
  sort: RepositorySort;
  page: number;
}

function readView(c: Context<WebEnv>): ExploreView {
  const sort = c.req.query('sort');
  return {
    q: (c.req.query('q') ?? '').trim().slice(0, 128),
    namespace: (c.req.query('namespace') ?? '').trim().slice(0, 128),
    sort: REPOSITORY_SORTS.includes(sort as RepositorySort) ? (sort as RepositorySort) : 'pushed',
    page: pageNumber(c.req.query('page')),
  };
}

function exploreUrl(view: ExploreView, changes: Partial<ExploreView> = {}): string {
  const next = { ...view, ...changes };
  return ui('/explore', { q: next.q, namespace: next.namespace, sort: next.sort === 'pushed' ? undefined : next.sort, page: next.page === 1 ? undefined : next.page });
}

/** The namespaces a signed-in viewer can choose from; anonymous viewers (or a refusal) get a text field instead. */
async function namespaceChoices(c: Context<WebEnv>): Promise<Namespace[] | undefined> {
  if (!c.var.viewer.signedIn && !c.var.viewer.open) return undefined;
  try {
    return await new HubAdmin(c.var.hub).listNamespaces();
  } catch (err) {
    if (err instanceof OciError && err.status < 500) return undefined;
    throw err;
  }
}

const RepositoryCard: FC<{ repository: RepositorySummary }> = ({ repository }) => (
  <li class="card">
    <h2>
      <a href={repositoryUrl(repository.name)}>{repository.name}</a>
    </h2>
    <dl>
      <dt>Tags</dt>
      <dd>{repository.tagCount}</dd>
      <dt>Last push</dt>
      <dd>
        <Time at={repository.lastPushedAt} />
      </dd>
      <dt>Size</dt>
      <dd>{formatBytes(repository.totalSize)}</dd>
      {repository.latest ? (
        <>
          <dt>Latest</dt>
          <dd>
            <code>{repository.latest.name}</code>
          </dd>
          <dt>Signature</dt>
          <dd>
            <SignatureBadge signatures={repository.latest.signatures} />
          </dd>
          <dt>Vulnerabilities</dt>
          <dd>
            <VulnerabilityBadges vulnerabilities={repository.latest.vulnerabilities} />
          </dd>
        </>
      ) : null}
    </dl>
  </li>
);

const EmptyState: FC<{ view: ExploreView; host: string; signedIn: boolean }> = ({ view, host, signedIn }) => (
  <div class="notice info" role="status">
    {view.q || view.namespace ? (
      <p>
        No repository matches {view.q ? <>“{view.q}”</> : null}
        {view.namespace ? <> in the namespace “{view.namespace}”</> : null}. <a href={ui('/explore')}>Show all repositories</a>.
      </p>
    ) : (
      <p>
        There are no repositories here yet. Push an image to create one: <code>{`nocker push ${host}/NAMESPACE/NAME:TAG`}</code>.
      </p>
    )}
    {signedIn ? null : (
      <p>
        Private repositories are shown only to their members: <a href={ui('/signin', { next: exploreUrl(view) })}>sign in</a> to see them.
      </p>
    )}
  </div>
);

export function exploreRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/explore', async (c) => {
    const view = readView(c);
    const [result, namespaces] = await Promise.all([
      searchRepositories(c.var.hub, {
        q: view.q || undefined,
        namespace: view.namespace || undefined,
        sort: view.sort,
        limit: REPOSITORIES_PER_PAGE,
        offset: (view.page - 1) * REPOSITORIES_PER_PAGE,
      }),
      namespaceChoices(c),
    ]);
    const pages = Math.max(1, Math.ceil(result.total / REPOSITORIES_PER_PAGE));
    const signedIn = c.var.viewer.signedIn || c.var.viewer.open;
    const host = new URL(c.req.url).host;

    return c.render(
      <section>
        <h1>Explore repositories</h1>
        <form method="get" action={ui('/explore')} class="filters" role="search" aria-label="Repositories">
          <div>
            <label for="explore-q">Name contains</label>
            <input id="explore-q" name="q" type="search" value={view.q} maxlength={128} />
          </div>
          <div>
            <label for="explore-namespace">Namespace</label>
            {namespaces ? (
              <select id="explore-namespace" name="namespace">
                <option value="" selected={view.namespace === ''}>
                  All namespaces
                </option>
                {namespaces.map((namespace) => (
                  <option value={namespace.name} selected={namespace.name === view.namespace}>
                    {namespace.name}
                    {namespace.visibility === 'private' ? ' (private)' : ''}
                  </option>
                ))}
              </select>
            ) : (
              <input id="explore-namespace" name="namespace" value={view.namespace} maxlength={128} />
            )}
          </div>
          <div>
            <label for="explore-sort">Sort by</label>
            <select id="explore-sort" name="sort">
              {REPOSITORY_SORTS.map((sort) => (
                <option value={sort} selected={view.sort === sort}>
                  {SORT_LABELS[sort]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Search</button>
        </form>

        {result.total === 0 ? (
          <EmptyState view={view} host={host} signedIn={signedIn} />
        ) : (
          <>
            <p class="muted">
              {result.total} {result.total === 1 ? 'repository' : 'repositories'}
            </p>
            {result.repositories.length === 0 ? (
              <p>
                No repositories on this page. <a href={exploreUrl(view, { page: 1 })}>First page</a>.
              </p>
            ) : (
              <ul class="cards">
                {result.repositories.map((repository) => (
                  <RepositoryCard repository={repository} />
                ))}
              </ul>
            )}
            <Pager
              previous={view.page > 1 ? exploreUrl(view, { page: Math.min(view.page - 1, pages) }) : undefined}
              next={view.page < pages ? exploreUrl(view, { page: view.page + 1 }) : undefined}
              summary={pageSummary(view.page, result.total, REPOSITORIES_PER_PAGE)}
            />
          </>
        )}
      </section>,
      { title: 'Explore', section: 'explore' },
    );
  });

  return app;
}
