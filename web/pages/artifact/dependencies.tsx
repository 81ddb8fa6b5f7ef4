/**
 * The artifact page's Dependencies tab: what the image is built on (its chain of bases), what is
 * built on it (transitively), drawn as one graph and told again as a table and a tree for those
 * who cannot see the drawing, and the rebuild plan: which images to rebuild, and why.
 */
import type { Child, FC } from 'hono/jsx';
import { fetchDependencies, fetchDependents, fetchRebuildPlan, type BaseImage, type DependentImage, type RebuildPlan } from '../../../hub/client/deps.ts';
import { Command, Digest, ScrollTable } from '../../components.tsx';
import { shortDigest } from '../../format.ts';
import { Graph, type GraphEdge, type GraphNode } from '../../graph.tsx';
import { artifactUrl } from '../../paths.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

/** More dependents than this are counted, not listed (the graph draws fewer still). */
const TREE_LIMIT = 200;

interface ImageRef {
  repository: string;
  digest: string;
  tags: readonly string[];
}

const keyOf = (image: { repository: string; digest: string }) => `${image.repository}@${image.digest}`;

/**
 * How the tab names an image: `repository:tag` when it has a tag, else `repository@short digest`.
 *
 * @example
 * imageLabel({ repository: 'team/app', digest: 'sha256:0123…', tags: ['v1'] }); // 'team/app:v1'
 */
export function imageLabel(image: ImageRef): string {
  const tag = image.tags[0];
  return tag === undefined ? `${image.repository}@${shortDigest(image.digest)}` : `${image.repository}:${tag}`;
}

/**
 * The artifact page of an image: by its first tag, else by digest.
 *
 * @example
 * imageHref({ repository: 'team/app', digest: 'sha256:0123…', tags: [] }); // '/ui/r/team/app/-/sha256%3A0123…'
 */
export function imageHref(image: ImageRef): string {
  return artifactUrl(image.repository, image.tags[0] ?? image.digest);
}

const isTag = (reference: string) => !reference.includes(':');

/** How a base was found, in words. */
function evidence(via: BaseImage['via'], layerCount: number | null = null): string {
  if (via === 'annotation') return 'named in the image\u2019s base annotations';
  return layerCount === null ? 'shares its bottom layers' : `shares its ${layerCount} bottom ${layerCount === 1 ? 'layer' : 'layers'}`;
}

/**
 * The rebuild plan of the image. Asked by tag when the page shows an image by its tag, so that
 * images built on an older image of that tag are found too; by digest otherwise (an index's
 * image has no tag of its own, and the index's tag names the index, not the image).
 */
function rebuildPlanOf(c: Parameters<TabRenderer>[0], artifact: ArtifactView): Promise<RebuildPlan> {
  const byTag = isTag(artifact.reference) && artifact.digest === artifact.imageDigest;
  return fetchRebuildPlan(c.var.hub, artifact.name, byTag ? artifact.reference : artifact.imageDigest);
}

export const renderDependenciesTab: TabRenderer = async (c, artifact) => {
  const hub = c.var.hub;
  const [deps, { dependents }, plan] = await Promise.all([
    fetchDependencies(hub, artifact.name, artifact.imageDigest),
    fetchDependents(hub, artifact.name, artifact.imageDigest, { transitive: true }),
    rebuildPlanOf(c, artifact),
  ]);
  const byTag = isTag(artifact.reference) && artifact.digest === artifact.imageDigest;
  const current: ImageRef = {
    repository: artifact.name,
    digest: artifact.imageDigest,
    tags: byTag ? [artifact.reference, ...plan.base.tags.filter((t) => t !== artifact.reference)] : plan.base.tags,
  };
  const currentLabel = imageLabel(current);

  return (
    <section class="dependencies">
      {artifact.selected ? (
        <p class="muted">
          Dependencies of the {artifact.selected.platform} image of this index (<Digest digest={artifact.selected.digest} copy={false} />).
        </p>
      ) : null}
      <h2>Dependency graph</h2>
      {deps.bases.length === 0 && dependents.length === 0 ? (
        <p>
          No base image of this Hub was found for {currentLabel}, and no image you may see is built on it.
        </p>
      ) : (
        <div class="graph-wrap">
          <DependencyGraph current={current} bases={deps.bases} dependents={dependents} />
        </div>
      )}
      <h2>What it is built on</h2>
      <BaseChain current={current} bases={deps.bases} />
      <h2>What is built on it</h2>
      <DependentTree current={current} dependents={dependents} />
      <h2>Rebuild plan</h2>
      <RebuildPlanTable plan={plan} current={current} />
    </section>
  );
};

/** The base chain above the image, the dependents below it, in one drawing. */
const DependencyGraph: FC<{ current: ImageRef; bases: readonly BaseImage[]; dependents: readonly DependentImage[] }> = ({ current, bases, dependents }) => {
  const nodes: GraphNode[] = [{ id: keyOf(current), label: imageLabel(current), sublabel: 'this image', href: imageHref(current), current: true }];
  const edges: GraphEdge[] = [];
  let above = keyOf(current);
  for (const base of bases) {
    nodes.push({ id: keyOf(base), label: imageLabel(base), sublabel: base.via === 'annotation' ? 'base (named in annotations)' : 'base (shared layers)', href: imageHref(base) });
    edges.push({ from: keyOf(base), to: above });
    above = keyOf(base);
  }
  const known = new Set([keyOf(current), ...dependents.map(keyOf)]);
  for (const dependent of dependents) {
    nodes.push({ id: keyOf(dependent), label: imageLabel(dependent), sublabel: dependent.via === 'annotation' ? 'dependent (annotation)' : 'dependent (shared layers)', href: imageHref(dependent) });
    // One whose base is not among these images hangs from the image itself.
    edges.push({ from: known.has(keyOf(dependent.base)) ? keyOf(dependent.base) : keyOf(current), to: keyOf(dependent) });
  }
  return <Graph label={`Dependency graph of ${imageLabel(current)}: its bases above it, the images built on it below`} nodes={nodes} edges={edges} />;
};

const BaseChain: FC<{ current: ImageRef; bases: readonly BaseImage[] }> = ({ current, bases }) => {
  if (bases.length === 0) {
    return <p>No base found: the image names no base on this Hub in its annotations, and shares its bottom layers with no image you may see.</p>;
  }
  return (
    <ScrollTable label="Base images">
      <table>
        <caption class="muted">Nearest first, up to the root.</caption>
        <thead>
          <tr>
            <th scope="col">Base</th>
            <th scope="col">Base of</th>
            <th scope="col">Digest</th>
            <th scope="col">How it was found</th>
          </tr>
        </thead>
        <tbody>
          {bases.map((base, i) => {
            const below = i === 0 ? current : bases[i - 1]!;
            return (
              <tr>
                <td>
                  <a href={imageHref(base)}>{imageLabel(base)}</a>
                </td>
                <td>{imageLabel(below)}</td>
                <td>
                  <Digest digest={base.digest} copy={false} />
                </td>
                <td>{evidence(base.via, base.layerCount)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollTable>
  );
};

/** Tags of an image in words. */
const tagList = (tags: readonly string[]) => (tags.length === 0 ? 'untagged' : `${tags.length === 1 ? 'tag' : 'tags'} ${tags.join(', ')}`);

const DependentTree: FC<{ current: ImageRef; dependents: readonly DependentImage[] }> = ({ current, dependents }) => {
  if (dependents.length === 0) return <p>No image you may see is built on {imageLabel(current)}.</p>;
  const root = keyOf(current);
  const known = new Set(dependents.map(keyOf));
  const children = new Map<string, DependentImage[]>();
  for (const dependent of dependents) {
    const parent = known.has(keyOf(dependent.base)) ? keyOf(dependent.base) : root;
    children.set(parent, [...(children.get(parent) ?? []), dependent]);
  }
  // Each image once, however the answer links them: the tree cannot loop.
  const shown = new Set<string>([root]);
  let budget = TREE_LIMIT;
  const branch = (parent: string): Child => {
    const items = (children.get(parent) ?? []).filter((d) => !shown.has(keyOf(d)));
    if (items.length === 0 || budget <= 0) return null;
    const listed = items.slice(0, budget);
    for (const d of listed) shown.add(keyOf(d));
    budget -= listed.length;
    return (
      <ul class="tree">
        {listed.map((d) => (
          <li>
            <a href={imageHref(d)}>{imageLabel(d)}</a> <span class="muted">— {tagList(d.tags)}; {d.via === 'annotation' ? 'names its base in annotations' : 'shares its base\u2019s layers'}</span>
            {branch(keyOf(d))}
          </li>
        ))}
      </ul>
    );
  };
  const tree = branch(root);
  const left = dependents.length - (shown.size - 1);
  return (
    <>
      <p>
        {dependents.length} {dependents.length === 1 ? 'image is' : 'images are'} built on {imageLabel(current)}, directly or through another image:
      </p>
      {tree}
      {left > 0 ? <p class="muted">and {left} more not listed</p> : null}
    </>
  );
};

const RebuildPlanTable: FC<{ plan: RebuildPlan; current: ImageRef }> = ({ plan, current }) => {
  const fixable = plan.base.fixableVulnerabilities;
  return (
    <>
      <p>
        Images built on {imageLabel(current)} need a rebuild when its tag has moved to a newer image since they were built, or when it has vulnerabilities with a fix.
        {fixable.length > 0 ? ` It has ${fixable.length} fixable ${fixable.length === 1 ? 'vulnerability' : 'vulnerabilities'}.` : ''}
      </p>
      {plan.images.length === 0 ? (
        <p>
          <strong>Nothing to rebuild.</strong>
        </p>
      ) : (
        <>
          <ScrollTable label="Images to rebuild">
            <table>
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {plan.images.map((image) => (
                  <tr>
                    <td>
                      <a href={imageHref(image)}>{imageLabel(image)}</a>
                    </td>
                    <td>{image.tags.length === 0 ? <span class="muted">untagged</span> : image.tags.join(', ')}</td>
                    <td>
                      <Digest digest={image.digest} copy={false} />
                    </td>
                    <td>
                      <ul class="reasons">
                        {image.reasons.map((reason) => (
                          <li>{reason}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
          <p>In each image's project, build again with the base's tag resolved anew (instead of the digest pinned in Nockerfile.lock), and push:</p>
          <Command text="nocker build --update --push" label="rebuild command" />
        </>
      )}
    </>
  );
};
