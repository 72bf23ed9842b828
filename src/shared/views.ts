/** Result shapes the engine returns to the UI. Pure types: no runtime code. */
import type { EndpointStatus, MessageRow, Transport } from './model.ts';

export interface EndpointView {
  id: string;
  transport: Transport;
  /** What the user recognises, with credentials removed. */
  label: string;
  status: EndpointStatus;
  detail: string | null;
  since: number;
}

export interface SessionInfo {
  id: string;
  path: string;
  /** True while connectors are recording into it. */
  live: boolean;
  readonly: boolean;
  createdAt: string;
  flowscopeVersion: string;
  notes: string;
  messageCount: number;
  firstTime: number | null;
  lastTime: number | null;
  endpoints: EndpointView[];
}

/** Messages per destination, for the destination list and the timeline's table. */
export interface DestinationStats {
  transport: string;
  destKind: string;
  destination: string;
  count: number;
  bytes: number;
  firstTime: number;
  lastTime: number;
}

export interface TrafficBatch {
  sessionId: string;
  /** Messages in the session after this batch. */
  total: number;
  lastSeq: number;
  /** How many arrived since the previous batch event. */
  added: number;
  /** The newest rows (bounded), for the list's tail. */
  newest: MessageRow[];
}

export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface AnalysisSummary {
  pairs: {
    matched: number;
    unanswered: number;
    orphans: number;
    duplicates: number;
    latencyMs: LatencyStats;
    byDestination: ({ destination: string } & LatencyStats & { unanswered: number })[];
  };
  undelivered: {
    total: number;
    byReason: Record<string, number>;
    items: UndeliveredItem[];
  };
  topology: TopologyGraph;
}

export interface UndeliveredItem {
  seq: number;
  destination: string;
  reason: string;
  explanation: string;
  /** AMQP: the copy RabbitMQ dead-lettered, when the message left its queue that way. */
  deadLetter?: DeadLetterLink;
}

/**
 * Where a dead-lettered AMQP message went, read from its copy's `x-death` header: the
 * chain original → queue it died in → dead-letter exchange → dead-letter queue(s).
 */
export interface DeadLetterLink {
  /** The recorded dead-lettered copy (tap of the dead-letter exchange, or a delivery from a dead-letter queue). */
  seq: number;
  /** The queue it left. */
  queue: string;
  /** RabbitMQ's reason: expired, rejected, maxlen or delivery_limit. */
  reason: string;
  /** How many times it died this way in this queue. */
  count: number;
  /** The exchange and routing keys it was first published with (send-back-to-origin goes there). */
  exchange: string;
  routingKeys: string[];
  /** The dead-letter exchange and the routing key it was dead-lettered with. */
  deadLetterExchange: string;
  deadLetterRoutingKey: string | null;
  /** Queues the copy went to, when known (a delivery from one, or the management API's bindings). */
  deadLetterQueues: string[];
}

export interface UndeliveredGroup {
  reason: string;
  destination: string;
  explanation: string;
  count: number;
  examples: number[];
  /** For dead-lettered examples: each example's link to its dead-lettered copy. */
  chains?: { seq: number; deadLetter: DeadLetterLink }[];
}

export interface PairView {
  correlationId: string;
  status: 'matched' | 'unanswered' | 'orphan' | 'duplicate';
  /** JSON-RPC method or AMQP type of the request, when known. */
  method?: string | null;
  /** Why an unanswered request counts as unanswered (timeout, connection-closed, session-ended, …). */
  reason?: string | null;
  /** An unanswered request whose reply came after the timeout. */
  late?: boolean;
  requestSeq: number | null;
  replySeq: number | null;
  destination: string;
  replyDestination: string | null;
  requestTime: number | null;
  replyTime: number | null;
  latencyMs: number | null;
}

export interface PairsPage {
  total: number;
  rows: PairView[];
}

export interface LatencyHistogram {
  destination: string | null;
  /** Upper edges of buckets in ms; counts[i] counts latencies ≤ edges[i] and > edges[i-1]. */
  edges: number[];
  counts: number[];
  stats: LatencyStats;
}

export type TopologyNodeKind =
  | 'producer'
  | 'exchange'
  | 'topic'
  | 'queue'
  | 'group'
  | 'consumer'
  | 'ws-client'
  | 'ws-server'
  | 'endpoint';

export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  label: string;
  transport: Transport;
  count: number;
  undelivered: number;
  /** Destination names this node stands for, to filter other views by it. */
  destinations: string[];
  /** For a WebSocket client node: its connection id, to filter by it. */
  connection?: string;
}

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  count: number;
  bytes: number;
  ratePerSec: number;
  undelivered: number;
}

export interface TopologyGraph {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

export interface TimelineSeries {
  from: number | null;
  to: number | null;
  bucketMs: number;
  /** Bucket start times. */
  buckets: number[];
  series: { destination: string; counts: number[] }[];
}

export interface PlaybackState {
  sessionId: string;
  playing: boolean;
  speed: 1 | 10 | 100 | 'max';
  /** Epoch ms the views show up to; null when not in playback (everything visible). */
  playhead: number | null;
  from: number | null;
  to: number | null;
}

/** What a replay would send, before it sends anything (`renderer:replay:plan`). */
export interface ReplayPlan {
  /** Messages the replay selects. */
  total: number;
  /** The first ones, in the order they would go. */
  items: ReplayPlanItem[];
  truncated: boolean;
  notes: string[];
  error: string | null;
}

export interface ReplayPlanItem {
  seq: number;
  atMs: number;
  /** Recorded destination → where it goes. */
  from: string;
  to: string;
  /** Routing key, partition or connection, as it would be sent. */
  detail: string;
  size: number;
}

export interface ReplayProgress {
  replayId: string;
  sessionId: string;
  target: string;
  sent: number;
  total: number;
  failed: number;
  etaMs: number | null;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  message: string | null;
}
