import { useEffect, useMemo, useRef, useState } from 'react';
import { Background, Controls, MarkerType, ReactFlow, ReactFlowProvider, useNodesInitialized, useNodesState, useReactFlow, type Edge } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { SessionInfo, TopologyGraph, TopologyNode } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { useSize } from '../../lib/use-size.ts';
import { useTick } from '../../state/live.ts';
import { openDialog, setFilter, useApp } from '../../state/app.ts';
import { DocumentIcon } from '../../components/icons.tsx';
import { formatCount, formatRate } from '../../lib/format.ts';
import { useAnalysisStatus } from '../../state/analysis.ts';
import { AnalysisPending } from '../../components/AnalysisProgress.tsx';
import { layoutGraph, RANK } from './layout.ts';
import { FlowNode, type FlowNodeType } from './FlowNode.tsx';

const nodeTypes = { flow: FlowNode };

/** The topology as a graph: who produces to what, what feeds which queue, who consumes. */
export function FlowView({ session }: { session: SessionInfo }) {
  const ref = useRef<HTMLElement>(null);
  const size = useSize(ref);
  return (
    <section className="view flow-view" aria-label="Flow" ref={ref}>
      <ReactFlowProvider>
        <FlowGraph session={session} width={size.width} height={size.height} />
      </ReactFlowProvider>
    </section>
  );
}

function FlowGraph({ session, width, height }: { session: SessionInfo; width: number; height: number }) {
  const tick = useTick(session.id);
  const { data, error } = useApi('renderer:analysis:topology', { sessionId: session.id }, tick);
  const analysis = useAnalysisStatus(session.id, data?.analysis);
  const destinations = useApp((s) => s.filter.destinations);
  const connection = useApp((s) => s.filter.connection);
  const dark = useDarkMode();
  const { nodes, edges, shapeKey } = useMemo(() => toFlow(data, { destinations, connection }, dark), [data, destinations, connection, dark]);
  const [rfNodes, onNodesChange] = useMeasuredNodes(nodes);

  const rf = useReactFlow();
  const measured = useNodesInitialized();
  // Re-fit when nodes come or go or the panel resizes, not on every count refresh.
  useEffect(() => {
    if (!shapeKey) return;
    const fit = () => void rf.fitView({ padding: 0.12, maxZoom: 1.25, duration: 0 });
    // On the next frame, and again once React Flow has measured the nodes and the panel
    // has settled (a detail pane opening beside the graph changes its width).
    const t = requestAnimationFrame(fit);
    const late = [150, 500].map((ms) => setTimeout(fit, ms));
    return () => {
      cancelAnimationFrame(t);
      late.forEach(clearTimeout);
    };
  }, [shapeKey, measured, rf, width, height]);

  // A client stands for its connection; everything else for its destinations.
  const onNodeClick = (_: unknown, n: FlowNodeType) => {
    const { connection: conn, destinations: d } = n.data.node;
    if (conn) setFilter({ connection: conn, destinations: undefined });
    else if (d.length) setFilter({ destinations: d, connection: undefined });
  };

  if (error) return <p className="inline-error">{error}</p>;
  if (analysis.state !== 'ready') return <AnalysisPending status={analysis} />;
  if (data && data.nodes.length === 0) {
    return (
      <div className="empty">
        <p>No flow yet. The graph appears as soon as messages are recorded.</p>
      </div>
    );
  }
  return (
    <>
      <div className="flow-summary" data-testid="flow-summary" data-nodes={nodes.length} data-edges={edges.length}>
        {nodes.length} nodes · {edges.length} edges
        <span className="muted"> — click a node to filter every view to it</span>
      </div>
      {/* What the graph shows, as a document other tools read: the export dialog, preset to AsyncAPI. */}
      <button type="button" className="btn flow-asyncapi" data-testid="flow-asyncapi" title="Write an AsyncAPI 3.0 document of the observed channels, operations and messages" onClick={() => openDialog('export-asyncapi')}>
        <DocumentIcon /> AsyncAPI…
      </button>
      <ReactFlow<FlowNodeType, Edge>
        nodes={rfNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onNodeClick={onNodeClick}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
        colorMode={dark ? 'dark' : 'light'}
        aria-label="Flow graph"
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </>
  );
}

/**
 * The graph's nodes as React Flow holds them, with the sizes it measured. Every count refresh
 * builds new node objects; handed over bare, React Flow takes each for a new node without a
 * size and hides it until a resize observation arrives, which under load may never come
 * before the next refresh (the graph then stays invisible). So the measured size from its
 * dimension changes (and the selection) is kept and carried into each refreshed node.
 */
function useMeasuredNodes(nodes: FlowNodeType[]) {
  const [rfNodes, setRfNodes, onNodesChange] = useNodesState<FlowNodeType>(nodes);
  useEffect(() => {
    setRfNodes((prev) => {
      const before = new Map(prev.map((n) => [n.id, n]));
      return nodes.map((n) => {
        const old = before.get(n.id);
        return old?.measured ? { ...n, measured: old.measured, selected: old.selected ?? false } : n;
      });
    });
  }, [nodes, setRfNodes]);
  return [rfNodes, onNodesChange] as const;
}

interface Selection {
  destinations: string[] | undefined;
  connection: string | undefined;
}

function intersects(n: TopologyNode, sel: Selection): boolean {
  if (sel.connection) return n.connection === sel.connection;
  return !!sel.destinations?.length && n.destinations.some((d) => sel.destinations!.includes(d));
}

/** Edge colours are concrete (not CSS variables): React Flow puts them in SVG marker ids. */
const EDGE_COLORS = { light: { edge: '#94a3b8', lost: '#dc2626' }, dark: { edge: '#64748b', lost: '#f87171' } };

function useDarkMode(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const on = () => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark;
}

function toFlow(graph: TopologyGraph | undefined, selected: Selection, dark: boolean): { nodes: FlowNodeType[]; edges: Edge[]; shapeKey: string } {
  if (!graph) return { nodes: [], edges: [], shapeKey: '' };
  const pos = layoutGraph(graph);
  const anySelected = graph.nodes.some((n) => intersects(n, selected));
  const nodes: FlowNodeType[] = graph.nodes.map((n) => {
    const p = pos.get(n.id) ?? { x: 0, y: 0 };
    const active = intersects(n, selected);
    return { id: n.id, type: 'flow', position: { x: p.x, y: p.y }, data: { node: n, active, dimmed: anySelected && !active } };
  });
  const maxCount = Math.max(1, ...graph.edges.map((e) => e.count));
  const kindOf = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const edges: Edge[] = graph.edges.map((e) => {
    const lost = e.undelivered > 0;
    const a = kindOf.get(e.source);
    const b = kindOf.get(e.target);
    const backwards = a !== undefined && b !== undefined && RANK[a] > RANK[b];
    const width = 1.25 + 5 * (Math.log1p(e.count) / Math.log1p(maxCount));
    const palette = dark ? EDGE_COLORS.dark : EDGE_COLORS.light;
    const color = lost ? palette.lost : palette.edge;
    const label = `${formatCount(e.count)}${e.ratePerSec > 0 ? ` · ${formatRate(e.ratePerSec)}` : ''}${lost ? ` · ${formatCount(e.undelivered)} lost` : ''}`;
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: backwards ? 'back-out' : 'out',
      targetHandle: backwards ? 'back-in' : 'in',
      label,
      className: lost ? 'flow-edge lost' : 'flow-edge',
      style: { strokeWidth: width, stroke: color },
      // In user space, so thick edges do not get huge arrowheads.
      markerEnd: { type: MarkerType.ArrowClosed, color, width: 14, height: 14, markerUnits: 'userSpaceOnUse' },
      labelBgPadding: [4, 2] as [number, number],
      labelBgBorderRadius: 3,
      labelStyle: { fontSize: 11, fill: lost ? palette.lost : 'var(--fg-muted)' },
      labelBgStyle: { fill: 'var(--bg-elev)' },
      ariaLabel: `${e.source} to ${e.target}: ${label}`,
    };
  });
  const shapeKey = graph.nodes
    .map((n) => n.id)
    .sort()
    .join('|');
  return { nodes, edges, shapeKey };
}
