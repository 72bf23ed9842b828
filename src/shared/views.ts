/** Result shapes the engine returns to the UI. Pure types: no runtime code. */
import type { EndpointStatus, GapReason, MessageRow, Transport } from './model.ts';

export interface EndpointView {
  id: string;
  transport: Transport;
  /** What the user recognises, with credentials removed. */
  label: string;
  status: EndpointStatus;
  detail: string | null;
  since: number;
  /**
   * Records the broker holds that the endpoint has not captured yet (a Kafka tap's consumer
   * lag, summed over its partitions), updated at most once a second; absent when unknown.
   */
  lag?: number;
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
  /** How far the analysis of the session has got (opening a big saved session takes a while). */
  analysis: AnalysisStatus;
  /** Whether what is captured reaches the file; null when the session is not recording. */
  storage: StorageStatus | null;
  /** Gaps recorded in the session (see Gap). */
  gapCount: number;
}

/**
 * Whether a recording's captures reach its file (`main:session:storage`). `paused`: a write
 * failed (the disk is full): captures are held in memory up to `budgetBytes`, then dropped
 * and counted, and the write is retried until it succeeds; the span becomes a Gap.
 * Counts are this recording's: `captured` = `stored` + `held` + `dropped` (+ the few
 * messages waiting for the next flush).
 */
export interface StorageStatus {
  state: 'ok' | 'paused';
  /** Why writing paused (`disk-full`, `write-failed`); null while ok. */
  reason: GapReason | null;
  /** The failure in words; null while ok. */
  message: string | null;
  /** When writing paused (epoch ms); null while ok. */
  since: number | null;
  captured: number;
  stored: number;
  held: number;
  heldBytes: number;
  budgetBytes: number;
  /** Captured but never stored, over the whole recording. */
  dropped: number;
  /** Pauses that ended with the writes resuming. */
  resumed: number;
  /** Why the last of those had paused; null before any resumed. */
  resumedReason: GapReason | null;
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
  /** Milliseconds; null when there is no sample. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Latency figures of a set of pairs. */
export interface LatencySummary extends LatencyStats {
  min: number | null;
  mean: number | null;
}

/**
 * How far the analysis behind a result has got. `running`: it is still reading the saved
 * session (`done` of `total` messages), so the result is partial and must not be shown as
 * the answer; `ready`: it has taken in every message recorded so far; `failed`: reading
 * the session broke off (the message says why).
 */
export type AnalysisStatus =
  | { state: 'running'; done: number; total: number }
  | { state: 'ready' }
  | { state: 'failed'; message: string };

/** A result of an analysis channel, with how complete the analysis behind it is. */
export type Analysed<T> = T & { analysis: AnalysisStatus };

export type PairStatus = 'matched' | 'unanswered' | 'orphan' | 'duplicate';

/**
 * Why a request counts as unanswered:
 * - `timeout`: no reply within the timeout;
 * - `session-ended`: the recording ended before the timeout had passed and no reply had come;
 * - `connection-closed` / `connection-dropped`: its WebSocket closed (normally / abnormally) first;
 * - `sent-after-close`: it was sent on a WebSocket that was already closed;
 * - `evicted`: too many requests were open at once and it was the oldest;
 * - `no-responders`: NATS answered the requester with a 503 status: nobody subscribes to the subject.
 */
export type UnansweredReason =
  | 'timeout'
  | 'session-ended'
  | 'connection-closed'
  | 'connection-dropped'
  | 'sent-after-close'
  | 'evicted'
  | 'no-responders';

/** One destination's pair counts. */
export interface PairCounts {
  transport: Transport;
  destination: string;
  matched: number;
  unanswered: number;
  orphans: number;
  duplicates: number;
  late: number;
}

/** One destination's conversations: counts and latency figures side by side (flat, for a table). */
export interface DestinationPairs extends PairCounts, LatencySummary {}

export interface PairsSummary {
  matched: number;
  unanswered: number;
  orphans: number;
  duplicates: number;
  /** Replies that came after their request had timed out (those requests count as unanswered). */
  late: number;
  /** Requests still waiting (only before the recording's end). */
  pending: number;
  unansweredByReason: Partial<Record<UnansweredReason, number>>;
  latencyMs: LatencySummary;
  byDestination: DestinationPairs[];
}

/**
 * Why a message never reached anyone, in words a user understands:
 * - `unroutable`: AMQP publish that no binding matched; the broker dropped it.
 * - `returned`: AMQP mandatory publish handed back to its publisher (basic.return).
 * - `never-delivered`: AMQP publish routed to a queue, but no consumer got it within the window.
 * - `expired`, `rejected`, `max-length`, `delivery-limit`: RabbitMQ dead-lettered it out of a queue
 *   (TTL expiry, a reject/nack without requeue, overflow, a quorum queue's delivery limit);
 *   `dead-lettered` when the cause is not known.
 * - `not-consumed`: Kafka record no consumer group had committed past within the window.
 * - `no-consumer-group`: Kafka record on a topic no consumer group reads.
 * - `sent-after-close`: WebSocket frame sent while the peer was closing or after it closed.
 * - `lost-on-drop`: WebSocket frame in flight towards a side whose connection died (1006).
 * - `unanswered-before-close`: WebSocket JSON-RPC request the connection closed on before any reply.
 * - `no-subscribers`: MQTT publish the broker acknowledged with reason 0x10 "No matching subscribers"
 *   (MQTT 5 PUBACK/PUBREC), or, where no reason code tells (MQTT 3.1.1, QoS 0), one that no
 *   subscription seen by the recording proxy matched and no client of the proxy received.
 * - `qos-incomplete`: MQTT QoS 1/2 publish or delivery whose handshake (PUBACK, or PUBREC → PUBCOMP)
 *   did not complete within the window or before its connection closed.
 * - `expired` (MQTT): a publish with a Message Expiry Interval that no client of the proxy received
 *   before it expired. `rejected` (MQTT): the broker refused the publish (reason code ≥ 0x80).
 * - `no-responders`: NATS request the server answered with a 503 status: no subscriber for its subject.
 * - `max-deliveries`: JetStream delivered a stored message as often as its consumer allows (max_deliver) without an ack.
 * - `terminated`: a JetStream consumer's client terminated the message (AckTerm): it is never redelivered.
 */
export type UndeliveredReason =
  | 'unroutable'
  | 'returned'
  | 'never-delivered'
  | 'expired'
  | 'rejected'
  | 'max-length'
  | 'delivery-limit'
  | 'dead-lettered'
  | 'not-consumed'
  | 'no-consumer-group'
  | 'sent-after-close'
  | 'lost-on-drop'
  | 'unanswered-before-close'
  | 'no-subscribers'
  | 'qos-incomplete'
  | 'no-responders'
  | 'max-deliveries'
  | 'terminated';

export interface UndeliveredItem {
  seq: number;
  time: number;
  transport: Transport;
  endpoint: string;
  /** Exchange (→ routing key), topic or socket path. */
  destination: string;
  reason: UndeliveredReason;
  /** One line for the user. */
  explanation: string;
  /** Decided when the recording ended, before the window had fully passed. */
  atEnd: boolean;
  /** AMQP: the copy RabbitMQ dead-lettered, when the message left its queue that way. */
  deadLetter?: DeadLetterLink;
  /** JetStream: what the advisory said, and which recorded message it was about. */
  jetstream?: JetStreamLink;
}

/** A JetStream advisory about one stored message (max deliveries reached, terminated). */
export interface JetStreamLink {
  stream: string;
  consumer: string;
  /** The message's sequence in its stream. */
  streamSeq: number;
  /** How many times the consumer delivered it. */
  deliveries: number;
  /** The recorded advisory. `UndeliveredItem.seq` is the original publish when the recording saw its PubAck, else this. */
  advisorySeq: number;
  /** Terminated: the reason the client gave, when it gave one. */
  reason?: string;
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
  reason: UndeliveredReason;
  transport: Transport;
  destination: string;
  count: number;
  /** Up to 5 example seqs, the first ones seen. */
  examples: number[];
  /** The explanation of the first example. */
  explanation: string;
  /** For dead-lettered examples: each example's link to its dead-lettered copy. */
  chains?: { seq: number; deadLetter: DeadLetterLink }[];
}

export interface UndeliveredSummary {
  total: number;
  byReason: Partial<Record<UndeliveredReason, number>>;
  /** How many were decided at the end of the recording rather than after their window. */
  atEnd: number;
  /** Messages still inside their window (only before the recording's end). */
  pending: number;
  /** The first items, in the order they were decided; `total` stays exact. */
  items: UndeliveredItem[];
  truncated: boolean;
}

/**
 * The analysis of a session: what `flowscope inspect --json` prints, and what the flow
 * views read (pairs, undelivered, topology).
 */
export interface AnalysisSummary {
  /** Messages analysed and the capture-time range they span. */
  messages: number;
  firstTime: number | null;
  lastTime: number | null;
  /** True once the recording's end was applied: nothing is pending any more. */
  finished: boolean;
  pairs: PairsSummary;
  undelivered: UndeliveredSummary;
  topology: TopologyGraph;
}

/** One row of the conversations list. */
export interface PairView {
  status: PairStatus;
  correlationId: string;
  transport: Transport;
  requestSeq: number | null;
  replySeq: number | null;
  requestTime: number | null;
  replyTime: number | null;
  /** Where the request went (null for an orphan reply). */
  destination: string | null;
  replyDestination: string | null;
  latencyMs: number | null;
  /** JSON-RPC method or AMQP type of the request, when known. */
  method: string | null;
  /** Why an unanswered request counts as unanswered. */
  reason: UnansweredReason | null;
  /** An unanswered request whose reply came after the timeout (replySeq/latencyMs say when). */
  late: boolean;
}

export interface PairsPage {
  /** Exact count behind the query, even where the kept list is capped. */
  total: number;
  /** How many of them are kept for paging. */
  listed: number;
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
  | 'endpoint'
  | 'stream';

export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  label: string;
  transport: Transport;
  endpoint: string;
  /** Messages on edges into / out of the node, and undelivered ones on those edges. */
  counts: { in: number; out: number; undelivered: number };
  /** Destination names this node stands for, to filter other views by it. */
  destinations: string[];
  /** For a WebSocket client node: its connection id, to filter by it. */
  connection: string | null;
}

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  /** Messages on the edge; for consumer-group edges, records the group committed past during the recording. */
  count: number;
  bytes: number;
  /** Over the last rate window. */
  ratePerSec: number;
  /** Over the edge's whole active span. */
  avgRatePerSec: number;
  undelivered: number;
  firstTime: number | null;
  lastTime: number | null;
  /** What the count is made of. */
  via: 'publish' | 'routing' | 'delivery' | 'commits' | 'frames' | 'dead-letter';
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
