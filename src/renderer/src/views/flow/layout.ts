import dagre from '@dagrejs/dagre';
import type { TopologyGraph, TopologyNodeKind } from '../../../../shared/views.ts';

export const NODE_W = 210;
export const NODE_H = 70;

/** Left-to-right ranks: producers → topics/exchanges → queues/groups → consumers. */
export const RANK: Record<TopologyNodeKind, number> = {
  producer: 0,
  'ws-client': 0,
  endpoint: 0,
  exchange: 1,
  topic: 1,
  queue: 2,
  group: 2,
  stream: 2,
  'ws-server': 3,
  consumer: 3,
};

export interface Placed {
  id: string;
  x: number;
  y: number;
}

let last: { key: string; placed: Map<string, Placed> } | null = null;

/**
 * Positions every node with dagre; the graph is small (tens of nodes) so this runs in the
 * renderer. While recording, the topology is refreshed several times a second with new
 * counts but the same nodes and edges: the last layout is reused for the same shape, so a
 * count refresh never reruns dagre (issue 12: that made long main-thread tasks).
 */
export function layoutGraph(graph: TopologyGraph): Map<string, Placed> {
  const key = `${graph.nodes.map((n) => `${n.id}:${n.kind}`).join('|')}#${graph.edges.map((e) => `${e.source}>${e.target}`).join('|')}`;
  if (last?.key === key) return last.placed;
  let placed: Map<string, Placed>;
  try {
    placed = dagreLayout(graph);
  } catch {
    placed = rankColumns(graph);
  }
  last = { key, placed };
  return placed;
}

function dagreLayout(graph: TopologyGraph): Map<string, Placed> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 170, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  const kind = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  for (const e of graph.edges) {
    const a = kind.get(e.source);
    const b = kind.get(e.target);
    if (!a || !b || e.source === e.target) continue;
    // Replies run against the flow (server → client): lay them out as if they ran with it,
    // so ranks always read producers → brokers → consumers.
    const [from, to] = RANK[a] > RANK[b] ? [e.target, e.source] : [e.source, e.target];
    if (!g.hasEdge(from, to)) g.setEdge(from, to, { weight: 1, minlen: 1 });
  }
  dagre.layout(g);
  const out = new Map<string, Placed>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    out.set(id, { id, x: n.x - NODE_W / 2, y: n.y - NODE_H / 2 });
  }
  return out;
}

/** A plain column-per-rank layout, should dagre ever fail on an odd graph. */
function rankColumns(graph: TopologyGraph): Map<string, Placed> {
  const rows = new Map<number, number>();
  const out = new Map<string, Placed>();
  for (const n of graph.nodes) {
    const r = RANK[n.kind];
    const i = rows.get(r) ?? 0;
    rows.set(r, i + 1);
    out.set(n.id, { id: n.id, x: 20 + r * (NODE_W + 170), y: 20 + i * (NODE_H + 28) });
  }
  return out;
}
