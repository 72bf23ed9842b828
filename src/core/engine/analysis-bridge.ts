import type { CapturedMessage, GroupOffset, StoredMessage } from '../../shared/model.ts';
import type {
  AnalysisSummary,
  LatencyHistogram,
  PairsPage,
  TopologyGraph,
  TopologyNode,
  UndeliveredGroup,
} from '../../shared/views.ts';
import { AnalysisState } from './session-analysis.ts';
import type { AnalysisResult } from './session-analysis.ts';
import { resolveAnalysisConfig, type AnalysisConfig, type AnalysisConfigInput } from '../analysis/config.ts';
import { createEnricher as correlationEnricher } from '../analysis/correlation.ts';
import type { SessionAnalysis } from './analysis-port.ts';

export type { AnalysisConfig, AnalysisConfigInput };

/** Fills correlation facts before a message is stored, per the session's analysis settings. */
export function createEnricher(config: AnalysisConfigInput = {}): (m: CapturedMessage) => void {
  return correlationEnricher(resolveAnalysisConfig(config).correlation);
}

/** The analysis engine behind the port the session handle uses, in the shapes the UI reads. */
export function createSessionAnalysis(config: AnalysisConfigInput = {}): SessionAnalysis {
  const state = new AnalysisState(config);
  return {
    ingest: (msgs: readonly StoredMessage[]) => state.ingest(msgs),
    addOffsets: (rows: readonly GroupOffset[]) => state.addOffsets(rows),
    finish: (end) => void state.finish(end),
    summary: (now) => toSummary(state.snapshot(now)),
    pairsPage: (q, now) => {
      state.tick(now);
      const page = state.pairsPage(q);
      return {
        total: page.total,
        rows: page.rows.map((p) => ({ ...p, destination: p.destination ?? '' })),
      } satisfies PairsPage;
    },
    latency: (destination) => {
      const h = state.latencyHistogram(destination);
      const summary = state.snapshot().pairs;
      const stats = destination
        ? (summary.byDestination.find((d) => d.destination === destination) ?? emptyStats())
        : summary.latencyMs;
      return {
        destination: destination ?? null,
        edges: h.edges.slice(1),
        counts: h.counts,
        stats: { count: stats.count, p50: stats.p50, p95: stats.p95, p99: stats.p99, max: stats.max },
      } satisfies LatencyHistogram;
    },
    undelivered: (now) => {
      state.tick(now);
      return state.undeliveredGroups() satisfies UndeliveredGroup[];
    },
    topology: (now) => toTopology(state.snapshot(now).topology),
  };
}

function emptyStats() {
  return { count: 0, p50: null, p95: null, p99: null, max: null };
}

function toSummary(r: AnalysisResult): AnalysisSummary {
  return {
    pairs: {
      ...r.pairs,
      byDestination: r.pairs.byDestination,
    },
    undelivered: {
      ...r.undelivered,
      byReason: Object.fromEntries(Object.entries(r.undelivered.byReason).filter(([, n]) => n !== undefined)) as Record<string, number>,
    },
    topology: toTopology(r.topology),
  };
}

const ID = /^(amqp|kafka|ws):([^:]*):(exchange|queue|topic|group|server|client):(.*)$/;

/** Adds what the UI filters by when a node is clicked: its destinations or its connection. */
function toTopology(t: AnalysisResult['topology']): TopologyGraph {
  const own = new Map<string, { destinations: Set<string>; connection: string | null }>();
  for (const n of t.nodes) {
    const m = ID.exec(n.id);
    const kind = m?.[3];
    const name = m?.[4] ?? null;
    const destinations = new Set<string>();
    let connection: string | null = null;
    if (name !== null && (kind === 'exchange' || kind === 'queue' || kind === 'topic' || kind === 'server')) destinations.add(name);
    if (name !== null && kind === 'client') connection = name;
    own.set(n.id, { destinations, connection });
  }
  // Producers, groups and consumers stand for the destinations they are connected to.
  for (const e of t.edges) {
    const s = own.get(e.source);
    const d = own.get(e.target);
    if (!s || !d) continue;
    if (s.destinations.size === 0 && !s.connection) for (const x of d.destinations) s.destinations.add(x);
    if (d.destinations.size === 0 && !d.connection) for (const x of s.destinations) d.destinations.add(x);
  }
  const nodes: TopologyNode[] = t.nodes.map((n) => {
    const o = own.get(n.id)!;
    return {
      ...n,
      count: Math.max(n.counts.in, n.counts.out),
      undelivered: n.counts.undelivered,
      destinations: [...o.destinations],
      ...(o.connection ? { connection: o.connection } : {}),
    };
  });
  return { nodes, edges: t.edges };
}
