/**
 * A small dependency graph drawn on the server as SVG: no script, no inline style, every label
 * escaped by JSX. Layers run top to bottom: what a node is built on sits above it, what is built
 * on it below; the node marked `current` anchors layer 0. The layout is a pure function of the
 * input (same nodes and edges in the same order → same drawing), so it can be tested on its own.
 */
import type { FC } from 'hono/jsx';

export interface GraphNode {
  /** Unique within the graph. */
  id: string;
  /** Untrusted text (repository names, tags): capped when drawn, whole in the tooltip. */
  label: string;
  sublabel?: string;
  href: string;
  /** The node the page is about: drawn in layer 0, outlined. */
  current?: boolean;
}

/** `from` is the base, `to` the image built on it (the arrow points from base to dependent). */
export interface GraphEdge {
  from: string;
  to: string;
}

export interface PlacedNode extends GraphNode {
  /** Top-left corner of the node's box. */
  x: number;
  y: number;
  /** Negative above the current node (its bases), positive below (its dependents). */
  layer: number;
}

export interface PlacedEdge extends GraphEdge {
  /** The SVG path data from the base's box to the dependent's. */
  d: string;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
  /** How many nodes were left out by the cap. */
  hidden: number;
}

export interface GraphOptions {
  /** At most this many nodes are drawn, the nearest to the current one first. */
  maxNodes?: number;
}

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 44;
const GAP_X = 24;
const GAP_Y = 40;
const PADDING = 16;
/** A wide layer wraps onto more rows rather than making the drawing unreadably small. */
const PER_ROW = 5;
/** What fits a node's width in the 12px monospace font of `svg.graph text`. */
export const LABEL_CHARS = 28;
const SUBLABEL_CHARS = 30;
const MORE_HEIGHT = 28;
export const DEFAULT_MAX_NODES = 60;

/**
 * `text` cut to `max` characters, the cut marked with an ellipsis.
 *
 * @example
 * capLabel('registry.example/very/long/repository:tag', 20); // 'registry.example/ve…'
 */
export function capLabel(text: string, max: number = LABEL_CHARS): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Places the nodes in layers: a breadth-first walk from the current node (or, for parts not
 * connected to it, from their first node) steps one layer down along an edge and one up against
 * it; each node keeps the layer it was first reached in, so cycles and duplicate edges end the
 * walk rather than loop. Within a layer, nodes follow the order of their neighbours in the layer
 * nearer the centre, then the order they were reached in, and sit under (or over) them.
 *
 * @example
 * const layout = layoutGraph(
 *   [{ id: 'base', label: 'library/base:1', href: '/ui/r/library/base/-/1' }, { id: 'app', label: 'team/app:v1', href: '/ui/r/team/app/-/v1', current: true }],
 *   [{ from: 'base', to: 'app' }],
 * );
 * layout.nodes.map((n) => n.layer); // [-1, 0]
 */
export function layoutGraph(nodes: readonly GraphNode[], edges: readonly GraphEdge[], options: GraphOptions = {}): GraphLayout {
  const maxNodes = Math.max(1, options.maxNodes ?? DEFAULT_MAX_NODES);

  // The first node of each id counts; edges need both ends, no self-loops, no repeats.
  const byId = new Map<string, GraphNode>();
  for (const node of nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const seenEdges = new Set<string>();
  const uniqueEdges: GraphEdge[] = [];
  for (const edge of edges) {
    const key = JSON.stringify([edge.from, edge.to]);
    if (edge.from === edge.to || !byId.has(edge.from) || !byId.has(edge.to) || seenEdges.has(key)) continue;
    seenEdges.add(key);
    uniqueEdges.push({ from: edge.from, to: edge.to });
  }
  const neighbours = new Map<string, { id: string; step: 1 | -1 }[]>();
  for (const id of byId.keys()) neighbours.set(id, []);
  for (const edge of uniqueEdges) {
    neighbours.get(edge.from)!.push({ id: edge.to, step: 1 });
    neighbours.get(edge.to)!.push({ id: edge.from, step: -1 });
  }

  // Breadth first from the current node, then from whatever is left unreached.
  const layerOf = new Map<string, number>();
  const reached: string[] = [];
  const starts = [...byId.values()].sort((a, b) => Number(Boolean(b.current)) - Number(Boolean(a.current))).map((n) => n.id);
  for (const start of starts) {
    if (layerOf.has(start)) continue;
    layerOf.set(start, 0);
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const id = queue[head]!;
      reached.push(id);
      for (const next of neighbours.get(id)!) {
        if (layerOf.has(next.id)) continue;
        layerOf.set(next.id, layerOf.get(id)! + next.step);
        queue.push(next.id);
      }
    }
  }

  // The cap keeps the nodes reached first: the nearest to the current one.
  const kept = reached.slice(0, maxNodes);
  const keptSet = new Set(kept);
  const order = new Map(kept.map((id, i) => [id, i]));
  const layers = new Map<number, string[]>();
  for (const id of kept) {
    const layer = layerOf.get(id)!;
    layers.set(layer, [...(layers.get(layer) ?? []), id]);
  }
  const layerNumbers = [...layers.keys()].sort((a, b) => a - b);

  // Order each layer after the one nearer the centre, and place each of its rows under (or
  // over) the neighbours there: a node wants the mean x of those neighbours; a sweep keeps the
  // row's boxes apart, then the row shifts back so that, on average, nodes sit where they want.
  const slot = new Map<string, number>();
  const xOf = new Map<string, number>();
  const step = NODE_WIDTH + GAP_X;
  const arrange = (layer: number, towardsCentre: number | undefined) => {
    const inner = (id: string) =>
      towardsCentre === undefined ? [] : neighbours.get(id)!.filter((n) => keptSet.has(n.id) && layerOf.get(n.id) === towardsCentre && slot.has(n.id)).map((n) => n.id);
    const rank = (id: string) => Math.min(Number.MAX_SAFE_INTEGER, ...inner(id).map((n) => slot.get(n)!));
    const ids = layers
      .get(layer)!
      .map((id) => ({ id, rank: rank(id) }))
      .sort((a, b) => a.rank - b.rank || order.get(a.id)! - order.get(b.id)!)
      .map((entry) => entry.id);
    ids.forEach((id, i) => slot.set(id, i));
    layers.set(layer, ids);
    for (let start = 0; start < ids.length; start += PER_ROW) {
      const row = ids.slice(start, start + PER_ROW);
      const wanted = row.map((id) => {
        const xs = inner(id).map((n) => xOf.get(n)!);
        return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
      });
      const xs: number[] = [];
      row.forEach((_, i) => {
        const previous = xs[i - 1];
        const floor = previous === undefined ? -Infinity : previous + step;
        xs.push(Math.max(wanted[i] ?? (previous === undefined ? 0 : floor), floor));
      });
      const offsets = xs.flatMap((x, i) => (wanted[i] === undefined ? [] : [x - wanted[i]!]));
      const shift = offsets.length > 0 ? offsets.reduce((a, b) => a + b, 0) / offsets.length : 0;
      row.forEach((id, i) => xOf.set(id, xs[i]! - shift));
    }
  };
  const centre = layers.has(0) ? 0 : (layerNumbers[0] ?? 0);
  if (layers.has(centre)) arrange(centre, undefined);
  for (const layer of layerNumbers.filter((l) => l > centre)) arrange(layer, layers.has(layer - 1) ? layer - 1 : undefined);
  for (const layer of layerNumbers.filter((l) => l < centre).reverse()) arrange(layer, layers.has(layer + 1) ? layer + 1 : undefined);

  // Top to bottom, each layer taking as many rows of PER_ROW as it needs; then the drawing is
  // moved to start at the padding.
  const left = Math.min(0, ...xOf.values());
  const right = Math.max(0, ...xOf.values()) + NODE_WIDTH;
  const placed = new Map<string, PlacedNode>();
  let y = PADDING;
  for (const layer of layerNumbers) {
    const ids = layers.get(layer)!;
    for (let start = 0; start < ids.length; start += PER_ROW) {
      for (const id of ids.slice(start, start + PER_ROW)) placed.set(id, { ...byId.get(id)!, x: Math.round((xOf.get(id)! - left + PADDING) * 10) / 10, y, layer });
      y += NODE_HEIGHT + GAP_Y;
    }
  }
  const contentWidth = Math.ceil(right - left);
  const hidden = byId.size - kept.length;
  const height = Math.max(PADDING, y - GAP_Y) + PADDING + (hidden > 0 ? MORE_HEIGHT : 0);

  const placedEdges = uniqueEdges.filter((e) => placed.has(e.from) && placed.has(e.to)).map((e) => ({ ...e, d: edgePath(placed.get(e.from)!, placed.get(e.to)!) }));
  return { nodes: kept.map((id) => placed.get(id)!), edges: placedEdges, width: contentWidth + 2 * PADDING, height, hidden };
}

/** A curve from the side of `from` facing `to` to the side of `to` facing `from`. */
function edgePath(from: PlacedNode, to: PlacedNode): string {
  const round = (n: number) => Math.round(n * 10) / 10;
  const [fx, tx] = [from.x + NODE_WIDTH / 2, to.x + NODE_WIDTH / 2];
  if (from.y === to.y) {
    // Same row (a cycle's way back): side to side.
    const rightwards = from.x < to.x;
    const sx = rightwards ? from.x + NODE_WIDTH : from.x;
    const ex = rightwards ? to.x : to.x + NODE_WIDTH;
    const cy = from.y + NODE_HEIGHT / 2;
    return `M${round(sx)},${round(cy)} L${round(ex)},${round(cy)}`;
  }
  const down = from.y < to.y;
  const sy = down ? from.y + NODE_HEIGHT : from.y;
  const ey = down ? to.y : to.y + NODE_HEIGHT;
  const my = (sy + ey) / 2;
  return `M${round(fx)},${round(sy)} C${round(fx)},${round(my)} ${round(tx)},${round(my)} ${round(tx)},${round(ey)}`;
}

/** What a node says to assistive technology and in its tooltip. */
function describe(node: GraphNode): string {
  const parts = [node.label, node.sublabel, node.current ? 'this image' : undefined].filter((part): part is string => Boolean(part));
  return [...new Set(parts)].join(', ');
}

export interface GraphProps extends GraphOptions {
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
  /** The graph's accessible name. */
  label: string;
  /** Prefix of the ids inside the SVG (its arrow marker), when a page draws more than one graph. */
  idPrefix?: string;
}

/**
 * The graph as `<svg class="graph">`: each node a link around its box and label, each edge a
 * path ending in an arrow, "and N more" under it when the cap left nodes out.
 *
 * @example
 * <Graph label="Dependencies of team/app:v1" nodes={nodes} edges={edges} />
 */
export const Graph: FC<GraphProps> = ({ nodes, edges, label, maxNodes, idPrefix = 'graph' }) => {
  const layout = layoutGraph(nodes, edges, { maxNodes });
  const arrow = `${idPrefix}-arrow`;
  return (
    <svg class="graph" role="group" aria-label={label} xmlns="http://www.w3.org/2000/svg" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
      <defs>
        <marker id={arrow} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path class="arrow" d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      <g class="edges">
        {layout.edges.map((edge) => (
          <path class="edge" d={edge.d} marker-end={`url(#${arrow})`} />
        ))}
      </g>
      <g class="nodes">
        {layout.nodes.map((node) => (
          <a href={node.href}>
            {/* The title names the link: an aria-label would differ from the (capped) visible text. */}
            <title>{describe(node)}</title>
            <rect class={node.current ? 'current' : undefined} x={node.x} y={node.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx="5" />
            <text x={node.x + 10} y={node.y + (node.sublabel ? 18 : 27)}>
              {capLabel(node.label)}
            </text>
            {node.sublabel ? (
              <text class="sub" x={node.x + 10} y={node.y + 35}>
                {capLabel(node.sublabel, SUBLABEL_CHARS)}
              </text>
            ) : null}
          </a>
        ))}
      </g>
      {layout.hidden > 0 ? (
        <text class="more" x={PADDING} y={layout.height - PADDING}>
          and {layout.hidden} more not drawn
        </text>
      ) : null}
    </svg>
  );
};
