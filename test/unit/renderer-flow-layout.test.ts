import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopologyEdge, TopologyGraph, TopologyNode } from '../../src/shared/views.ts';
import { layoutGraph } from '../../src/renderer/src/views/flow/layout.ts';

function node(id: string, kind: TopologyNode['kind'], n: number): TopologyNode {
  return { id, kind, label: id, transport: 'kafka', endpoint: 'k', counts: { in: n, out: n, undelivered: 0 }, destinations: [id], connection: null };
}

function edge(source: string, target: string, count: number): TopologyEdge {
  return { id: `${source}>${target}`, source, target, count, bytes: count * 10, ratePerSec: count / 10, avgRatePerSec: count / 10, undelivered: 0, firstTime: 0, lastTime: count, via: 'publish' };
}

function graph(count: number, extra = false): TopologyGraph {
  const nodes = [node('app', 'producer', count), node('orders', 'topic', count), node('billing', 'group', count)];
  const edges = [edge('app', 'orders', count), edge('orders', 'billing', count)];
  if (extra) {
    nodes.push(node('audit', 'group', count));
    edges.push(edge('orders', 'audit', count));
  }
  return { nodes, edges };
}

test('a count refresh keeps every node where it was; a new node lays the graph out again', () => {
  const first = layoutGraph(graph(10));
  // While recording, the topology comes back several times a second with new counts only.
  const refreshed = layoutGraph(graph(50_000));
  assert.deepEqual([...refreshed.values()], [...first.values()], 'same places after a count refresh');
  assert.equal(refreshed, first, 'the layout is reused, not run again (dagre per refresh made long tasks)');

  const grown = layoutGraph(graph(50_000, true));
  assert.ok(grown.has('audit'), 'the new consumer group has a place');
  assert.equal(grown.size, 4);
  const xs = new Set([...grown.values()].map((p) => p.x));
  assert.ok(xs.size >= 3, 'producer, topic and groups still stand in their own columns');
});
