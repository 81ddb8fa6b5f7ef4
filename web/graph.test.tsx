import { describe, expect, it } from 'vitest';
import { capLabel, Graph, layoutGraph, NODE_HEIGHT, NODE_WIDTH, type GraphEdge, type GraphNode, type PlacedNode } from './graph.tsx';

const node = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({ id, label: id, href: `/ui/r/${id}`, ...extra });
const render = async (element: unknown) => String(await (element as { toString(): string | Promise<string> }).toString());

function overlapping(nodes: readonly PlacedNode[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [i, a] of nodes.entries()) {
    for (const b of nodes.slice(i + 1)) {
      const apart = a.x + NODE_WIDTH <= b.x || b.x + NODE_WIDTH <= a.x || a.y + NODE_HEIGHT <= b.y || b.y + NODE_HEIGHT <= a.y;
      if (!apart) pairs.push([a.id, b.id]);
    }
  }
  return pairs;
}

// root ← base ← app (current) → web → late, app → svc
const chain: GraphNode[] = [node('app', { current: true }), node('base'), node('root'), node('web'), node('svc'), node('late')];
const chainEdges: GraphEdge[] = [
  { from: 'base', to: 'app' },
  { from: 'root', to: 'base' },
  { from: 'app', to: 'web' },
  { from: 'app', to: 'svc' },
  { from: 'web', to: 'late' },
];

describe('layoutGraph', () => {
  it('puts the bases above the current image and what is built on it below, in layers', () => {
    const layout = layoutGraph(chain, chainEdges);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]))).toEqual({ root: -2, base: -1, app: 0, web: 1, svc: 1, late: 2 });
    expect(at.root!.y).toBeLessThan(at.base!.y);
    expect(at.base!.y).toBeLessThan(at.app!.y);
    expect(at.app!.y).toBeLessThan(at.web!.y);
    expect(at.web!.y).toBe(at.svc!.y);
    expect(at.web!.y).toBeLessThan(at.late!.y);
    // The dependent of `web` sits under it, on its side.
    expect(at.late!.x).toBe(at.web!.x);
    expect(overlapping(layout.nodes)).toEqual([]);
    expect(layout.edges).toHaveLength(5);
    expect(layout.hidden).toBe(0);
    // Everything fits in the drawing.
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(n.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
    }
  });

  it('is deterministic', () => {
    expect(layoutGraph(chain, chainEdges)).toEqual(layoutGraph(chain, chainEdges));
  });

  it('wraps a wide layer onto rows without overlaps', () => {
    const many = [node('base', { current: true }), ...Array.from({ length: 23 }, (_, i) => node(`dep${i}`))];
    const layout = layoutGraph(
      many,
      many.slice(1).map((n) => ({ from: 'base', to: n.id })),
    );
    expect(overlapping(layout.nodes)).toEqual([]);
    expect(new Set(layout.nodes.filter((n) => n.layer === 1).map((n) => n.y)).size).toBe(5);
    expect(layout.width).toBeLessThanOrEqual(5 * NODE_WIDTH + 4 * 24 + 32);
  });

  it('ends on cycles, self-loops, duplicate edges and edges to unknown nodes', () => {
    const nodes = [node('a', { current: true }), node('b'), node('c'), node('a', { label: 'a second a' })];
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'a', to: 'a' },
      { from: 'a', to: 'nowhere' },
    ];
    const layout = layoutGraph(nodes, edges);
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(['a', 'b', 'c']);
    expect(layout.nodes.find((n) => n.id === 'a')!.label).toBe('a');
    expect(layout.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'b>c', 'c>a']);
    expect(overlapping(layout.nodes)).toEqual([]);
  });

  it('draws unconnected nodes too, and without a current node starts from the first', () => {
    const layout = layoutGraph([node('x'), node('y'), node('z')], [{ from: 'x', to: 'y' }]);
    expect(Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]))).toEqual({ x: 0, y: 1, z: 0 });
    expect(overlapping(layout.nodes)).toEqual([]);
  });

  it('caps the nodes drawn, keeping the nearest, and counts the rest', () => {
    const nodes = [node('root'), node('base'), node('app', { current: true }), ...Array.from({ length: 100 }, (_, i) => node(`dep${i}`))];
    const edges = [{ from: 'root', to: 'base' }, { from: 'base', to: 'app' }, ...Array.from({ length: 100 }, (_, i) => ({ from: i < 50 ? 'app' : `dep${i - 50}`, to: `dep${i}` }))];
    const layout = layoutGraph(nodes, edges, { maxNodes: 60 });
    expect(layout.nodes).toHaveLength(60);
    expect(layout.hidden).toBe(43);
    const ids = layout.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['app', 'base', 'root', 'dep0', 'dep49']));
    expect(ids).not.toContain('dep99');
    for (const edge of layout.edges) expect(ids).toEqual(expect.arrayContaining([edge.from, edge.to]));
    expect(overlapping(layout.nodes)).toEqual([]);
  });
});

describe('capLabel', () => {
  it('keeps short labels and cuts long ones with an ellipsis', () => {
    expect(capLabel('team/app:v1')).toBe('team/app:v1');
    const cut = capLabel('registry.example/a/very/long/repository/name:and-a-long-tag');
    expect(cut).toHaveLength(28);
    expect(cut.endsWith('…')).toBe(true);
    expect(capLabel('abcdef', 4)).toBe('abc…');
  });
});

describe('Graph', () => {
  it('renders an accessible SVG: a group with a name, links with labels and titles, arrowed edges', async () => {
    const html = await render(<Graph label="Dependencies of team/app:v1" nodes={chain} edges={chainEdges} />);
    expect(html).toMatch(/^<svg class="graph" role="group" aria-label="Dependencies of team\/app:v1"/);
    expect(html).toContain('viewBox="0 0 ');
    expect(html.match(/<a href=/g)).toHaveLength(6);
    expect(html.match(/<title>/g)).toHaveLength(6);
    expect(html.match(/marker-end="url\(#graph-arrow\)"/g)).toHaveLength(5);
    expect(html).toContain('<title>app, this image</title>');
    expect(html).toContain('<rect class="current"');
    expect(html).not.toMatch(/style=|on[a-z]+=/i);
  });

  it('escapes hostile labels and links: they stay text', async () => {
    const hostile = '<script>alert(1)</script>';
    const html = await render(
      <Graph
        label={`graph of ${hostile}`}
        nodes={[node('evil', { label: hostile, sublabel: '"><img src=x onerror=alert(1)>', href: '/ui/r/x" onmouseover="alert(1)', current: true })]}
        edges={[]}
      />,
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('" onmouseover="');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="/ui/r/x&quot; onmouseover=&quot;alert(1)"');
  });

  it('says how many nodes the cap left out', async () => {
    const nodes = Array.from({ length: 10 }, (_, i) => node(`n${i}`));
    const html = await render(<Graph label="many" nodes={nodes} edges={[]} maxNodes={4} />);
    expect(html.match(/<a href=/g)).toHaveLength(4);
    expect(html).toContain('and 6 more not drawn');
  });
});
