/**
 * A repository's page (`/r/NAME`): its description, the pull command and its tags in a table the
 * Hub sorts and pages (one page of rows per request, however many tags there are), and the
 * confirmation and deletion of a tag (`/r/NAME/-/TAG/delete`).
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { Command, CsrfField, Digest, Notice, Pager, ScrollTable, SeverityBadges, Time } from '../components.tsx';
import type { WebEnv } from '../env.ts';
import { formatBytes } from '../format.ts';
import { Description } from '../markdown.tsx';
import { artifactUrl, pullReference, repositoryUrl, tagDeleteUrl } from '../paths.ts';
import { pageNumber, pageSummary } from '../paging.ts';
import { SignatureBadge, VulnerabilityBadges } from '../badges.tsx';
import { fetchRepository, listTagDetails, TAG_SORTS, type TagSort, type TagSummary } from '../../hub/client/catalog.ts';
import { errorFromResponse } from '../../hub/client/errors.ts';
import { headManifest } from '../../hub/client/pull.ts';
import { OciError } from '../../hub/oci/errors.ts';

/** What the distribution spec allows as a tag. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Tags per page of the table. */
export const TAGS_PER_PAGE = 25;
interface TagView {
  q: string;
  sort: TagSort;
  order: 'asc' | 'desc';
  page: number;
}

function defaultOrder(sort: TagSort): 'asc' | 'desc' {
  return sort === 'name' ? 'asc' : 'desc';
}

function readTagView(c: Context<WebEnv>): TagView {
  const sortParam = c.req.query('sort');
  const sort: TagSort = TAG_SORTS.includes(sortParam as TagSort) ? (sortParam as TagSort) : 'pushed';
  const orderParam = c.req.query('order');
  const order = orderParam === 'asc' || orderParam === 'desc' ? orderParam : defaultOrder(sort);
  return { q: (c.req.query('q') ?? '').trim().slice(0, 128), sort, order, page: pageNumber(c.req.query('page')) };
}

/** The query of a view; the defaults are left out so links stay short. */
function viewQuery(view: TagView, changes: Partial<TagView> = {}): Record<string, string | number | undefined> {
  const next = { ...view, ...changes };
  return {
    q: next.q || undefined,
    sort: next.sort === 'pushed' ? undefined : next.sort,
    order: next.order === defaultOrder(next.sort) ? undefined : next.order,
    page: next.page === 1 ? undefined : next.page,
  };
}

const SORT_LABELS: Record<TagSort, string> = { pushed: 'Pushed', name: 'Tag', size: 'Size' };

/** A column header that sorts by its column: a link, with the current order announced. */
const SortHeader: FC<{ name: string; view: TagView; sort: TagSort; class?: string }> = ({ name, view, sort, class: className }) => {
  const current = view.sort === sort;
  const order = current ? (view.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
  const arrow = current ? (view.order === 'asc' ? ' ▲' : ' ▼') : '';
  return (
    <th scope="col" class={className} aria-sort={current ? (view.order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <a href={repositoryUrl(name, viewQuery(view, { sort, order, page: 1 }))}>
        {SORT_LABELS[sort]}
        {arrow}
        {current ? <span class="visually-hidden">{view.order === 'asc' ? ' (ascending)' : ' (descending)'}</span> : null}
      </a>
    </th>
  );
};

const TagRow: FC<{ name: string; tag: TagSummary; canDelete: boolean }> = ({ name, tag, canDelete }) => (
  <tr>
    <td>
      <a href={artifactUrl(name, tag.name)}>{tag.name}</a>
    </td>
    <td>
      <Digest digest={tag.digest} />
    </td>
    <td>{tag.type === 'artifact' && tag.artifactType ? <span title={tag.artifactType}>artifact</span> : tag.type}</td>
    <td>{tag.platforms.length > 0 ? tag.platforms.join(', ') : <span class="muted">—</span>}</td>
    <td class="num">{formatBytes(tag.size)}</td>
    <td>
      <Time at={tag.pushedAt} />
    </td>
    <td>
      <SignatureBadge signatures={tag.signatures} />
    </td>
    <td>
      <VulnerabilityBadges vulnerabilities={tag.vulnerabilities} />
    </td>
    <td>{tag.sbom ? <a href={artifactUrl(name, tag.name, 'sbom')}>SBOM<span class="visually-hidden"> of {tag.name}</span></a> : <span class="muted">—</span>}</td>
    {canDelete ? (
      <td>
        <a href={tagDeleteUrl(name, tag.name)}>
          Delete<span class="visually-hidden"> {tag.name}</span>
        </a>
      </td>
    ) : null}
  </tr>
);

export function repositoryRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/r/:name{.+}', async (c) => {
    const name = c.req.param('name');
    const view = readTagView(c);
    // Two requests for the whole page, whatever the number of tags: the Hub sorts and pages.
    const [repository, page] = await Promise.all([
      fetchRepository(c.var.hub, name),
      listTagDetails(c.var.hub, name, { q: view.q || undefined, sort: view.sort, order: view.order, limit: TAGS_PER_PAGE, offset: (view.page - 1) * TAGS_PER_PAGE }),
    ]);
    const host = new URL(c.req.url).host;
    const canDelete = repository.actions.includes('delete');
    const pages = Math.max(1, Math.ceil(page.total / TAGS_PER_PAGE));
    // Only a tag name is echoed back, so a crafted link cannot put other words in the notice.
    const deleted = TAG_PATTERN.test(c.req.query('deleted') ?? '') ? c.req.query('deleted') : undefined;
    const latest = repository.latest;

    return c.render(
      <section>
        <h1>{repository.name}</h1>
        {deleted ? <Notice kind="ok">{`Tag ${deleted} deleted.`}</Notice> : null}
        {latest ? <Command text={`docker pull ${pullReference(host, repository.name, latest.name)}`} label="pull command" /> : null}
        <dl class="facts">
          <dt>Tags</dt>
          <dd>{repository.tagCount}</dd>
          <dt>Size</dt>
          <dd>{formatBytes(repository.totalSize)}</dd>
          <dt>Last push</dt>
          <dd>
            <Time at={repository.lastPushedAt} />
          </dd>
          {latest ? (
            <>
              <dt>Latest tag</dt>
              <dd>
                <a href={artifactUrl(repository.name, latest.name)}>{latest.name}</a> <SignatureBadge signatures={latest.signatures} />{' '}
                <VulnerabilityBadges vulnerabilities={latest.vulnerabilities} />
              </dd>
            </>
          ) : null}
        </dl>

        {repository.description ? (
          <>
            <h2>About</h2>
            <Description description={repository.description} headingLevel={3} />
          </>
        ) : null}

        <h2 id="tags-heading">Tags</h2>
        <form method="get" action={repositoryUrl(repository.name)} class="filters" role="search" aria-label="Tags">
          <div>
            <label for="tag-q">Tag contains</label>
            <input id="tag-q" name="q" type="search" value={view.q} maxlength={128} />
          </div>
          <div>
            <label for="tag-sort">Sort by</label>
            <select id="tag-sort" name="sort">
              {TAG_SORTS.map((sort) => (
                <option value={sort} selected={view.sort === sort}>
                  {SORT_LABELS[sort]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="tag-order">Order</label>
            <select id="tag-order" name="order">
              <option value="" selected={view.order === defaultOrder(view.sort)}>
                Default
              </option>
              <option value="asc" selected={view.order !== defaultOrder(view.sort) && view.order === 'asc'}>
                Ascending
              </option>
              <option value="desc" selected={view.order !== defaultOrder(view.sort) && view.order === 'desc'}>
                Descending
              </option>
            </select>
          </div>
          <button type="submit">Apply</button>
          <div>
            <label for="tag-filter-rows">Filter rows shown</label>
            <input id="tag-filter-rows" type="search" data-filter-table="tags" autocomplete="off" />
          </div>
        </form>

        {page.tags.length === 0 ? (
          <p>
            {view.q ? (
              <>
                No tag contains “{view.q}”. <a href={repositoryUrl(repository.name)}>Show all tags</a>.
              </>
            ) : page.total > 0 ? (
              <>
                No tags on this page. <a href={repositoryUrl(repository.name, viewQuery(view, { page: 1 }))}>First page</a>.
              </>
            ) : (
              <>
                This repository has no tags. Push one with <code>{`nocker push ${host}/${repository.name}:TAG`}</code>.
              </>
            )}
          </p>
        ) : (
          <ScrollTable label="Tags">
            <table id="tags" aria-labelledby="tags-heading">
              <thead>
                <tr>
                  <SortHeader name={repository.name} view={view} sort="name" />
                  <th scope="col">Digest</th>
                  <th scope="col">Type</th>
                  <th scope="col">Platforms</th>
                  <SortHeader name={repository.name} view={view} sort="size" class="num" />
                  <SortHeader name={repository.name} view={view} sort="pushed" />
                  <th scope="col">Signed</th>
                  <th scope="col">Vulnerabilities</th>
                  <th scope="col">SBOM</th>
                  {canDelete ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {page.tags.map((tag) => (
                  <TagRow name={repository.name} tag={tag} canDelete={canDelete} />
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
        {page.total > TAGS_PER_PAGE || view.page > 1 ? (
          <Pager
            previous={view.page > 1 ? repositoryUrl(repository.name, viewQuery(view, { page: Math.min(view.page - 1, pages) })) : undefined}
            next={view.page < pages ? repositoryUrl(repository.name, viewQuery(view, { page: view.page + 1 })) : undefined}
            summary={`${pageSummary(view.page, page.total, TAGS_PER_PAGE)} · ${page.total} ${page.total === 1 ? 'tag' : 'tags'}`}
          />
        ) : null}
      </section>,
      { title: repository.name, section: 'explore' },
    );
  });

  return app;
}

/** A tag, never a digest: deleting by digest would remove the manifest under every tag. */
function tagParam(c: Context<WebEnv>): { name: string; tag: string } {
  const name = c.req.param('name') ?? '';
  const tag = c.req.param('reference') ?? '';
  if (!TAG_PATTERN.test(tag)) throw new OciError('TAG_INVALID', `“${tag}” is not a tag: only tags can be deleted here`);
  return { name, tag };
}

export function tagDeleteRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/r/:name{.+}/-/:reference/delete', async (c) => {
    const { name, tag } = tagParam(c);
    const [repository, manifest] = await Promise.all([fetchRepository(c.var.hub, name), headManifest(c.var.hub, name, tag)]);
    // Offer only what will work: the Hub would refuse the deletion anyway.
    if (!repository.actions.includes('delete')) throw new OciError('DENIED', `your role does not allow deleting tags in ${name}`);
    const title = `Delete ${name}:${tag}?`;
    return c.render(
      <section>
        <h1>{title}</h1>
        <p>
          The tag <strong>{tag}</strong> will be removed from <a href={repositoryUrl(name)}>{name}</a>. It points at
        </p>
        <p>
          <Digest digest={manifest.digest} /> <span class="muted">({formatBytes(manifest.size)} manifest)</span>
        </p>
        <p>
          The manifest itself stays while other tags point at it (and can still be pulled by digest until garbage collection removes it). Anyone pulling{' '}
          <code>{`${name}:${tag}`}</code> will no longer find it.
        </p>
        <form method="post" action={tagDeleteUrl(name, tag)} class="inline">
          <CsrfField />
          <button type="submit" class="danger">
            Delete tag {tag}
          </button>
          <a href={repositoryUrl(name)}>Cancel</a>
        </form>
      </section>,
      { title, section: 'explore' },
    );
  });

  app.post('/r/:name{.+}/-/:reference/delete', async (c) => {
    const { name, tag } = tagParam(c);
    // Through the registry API as the viewer: the Hub checks the role, the namespace's delete policy and audits it.
    const res = await c.var.hub.v2('DELETE', `/v2/${name}/manifests/${encodeURIComponent(tag)}`);
    if (!res.ok) throw await errorFromResponse(res, `deleting ${name}:${tag}`);
    await res.body?.cancel();
    return c.redirect(repositoryUrl(name, { deleted: tag }), 303);
  });

  return app;
}
