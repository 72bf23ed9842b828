import type { JsonValue, StoredMessage, Transport } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { ReplayProgress } from '../../shared/views.ts';

export type ReplaySpeed = number | 'max';

export interface ReplayOptions {
  /** kafka://host:port[,host:port], amqp(s)://user:pass@host:port/vhost, ws(s)://host:port[/path] */
  to: string;
  /** 1 = the recorded inter-arrival gaps, N = N× faster, 'max' = no waiting. Default 1. */
  speed?: ReplaySpeed;
  /** Destination remapping FROM → TO (topic, exchange, queue, or WebSocket path). */
  map?: Record<string, string>;
  /** Which recorded messages to replay (narrows the default selection, see select.ts). */
  filter?: MessageFilter;
  /** Plan only: nothing is connected or sent; `onPlan` sees every message that would be. */
  dryRun?: boolean;
  /** Replay only messages up to this seq (default: the session's last seq when the replay starts). */
  upToSeq?: number;
  /** Called at most ten times a second, and once at the end. */
  onProgress?: (p: ReplayStatus) => void;
  /** Called for every message a dry run would send, in order. */
  onPlan?: (item: PlannedSend) => void;
  /** Label for the target in messages; defaults to the target URL without its password. */
  targetLabel?: string;
  /**
   * AMQP: send the dead-lettered copies back to the exchange and routing key they were
   * first published with (their x-death), instead of where they were recorded; `map` still
   * applies. See dead-letters.ts.
   */
  deadLettersToOrigin?: DeadLetterNarrowing;
}

/** Which dead-lettered copies go back: all, or those that died in one queue or for one reason. */
export interface DeadLetterNarrowing {
  queue?: string;
  /** RabbitMQ's x-death reason: expired, rejected, maxlen, delivery_limit. */
  reason?: string;
}

/** A replay's progress as the replayer knows it; the engine adds which replay it is. */
export type ReplayStatus = Omit<ReplayProgress, 'replayId' | 'sessionId' | 'target'>;

export interface DestinationCount {
  sent: number;
  failed: number;
}

/** What a replay did, exactly. */
export interface ReplayReport {
  target: string;
  dryRun: boolean;
  state: 'done' | 'cancelled' | 'failed';
  /** Messages the target confirmed (Kafka acks, AMQP publisher confirms, ws frames written). */
  sent: number;
  /** Messages attempted and refused or never confirmed. */
  failed: number;
  /** Messages a dry run would send. */
  planned: number;
  /** Messages selected for the replay. */
  total: number;
  /** Messages the target could not route (AMQP basic.return: no queue bound). Counted in `sent`. */
  unroutable: number;
  /** Keyed by the destination sent to (after mapping). */
  byDestination: Record<string, DestinationCount>;
  /** Highest seq sent without a gap before it: a cancelled replay resumes after it. */
  lastSeq: number;
  durationMs: number;
  /** The first error, in words for the user (no credentials). */
  error: string | null;
  /** Things the user should know (topics created, properties dropped …). */
  notes: string[];
}

/** One message on its way to the target. */
export interface ReplayItem {
  msg: StoredMessage;
  /** Destination after mapping: topic, exchange (`amq.default` for the default one), queue, or WebSocket path. */
  destination: string;
  /** AMQP: the routing key to publish with (after mapping, for the default exchange). */
  routingKey?: string;
  /** The name the report counts it under. */
  label: string;
  /** WebSocket: which recorded connection it belongs to, and how that connection was opened. */
  ws?: WsConnectionFacts;
  /** What to do with it: send it, or a WebSocket connection open/close to reproduce. */
  action: 'send' | 'open' | 'close';
  /** AMQP: headers to send instead of the recorded ones (null: none). */
  headers?: Record<string, JsonValue> | null;
}

export interface PlannedSend {
  seq: number;
  /** Offset from the first replayed message, at the requested speed. */
  atMs: number;
  transport: Transport;
  action: ReplayItem['action'];
  from: string;
  to: string;
  /** Kafka partition, AMQP routing key, or ws connection, as it would be sent. */
  detail: string;
  size: number;
}

/** How a publisher settles one item. `fatal` aborts the whole replay. */
export interface Settlement {
  ok: boolean;
  error?: Error;
  fatal?: boolean;
  /** Dropped by a cancel before it reached the wire: neither sent nor failed. */
  cancelled?: boolean;
  /** AMQP: the broker returned the message as unroutable (it was still accepted). */
  unroutable?: boolean;
}

/**
 * A transport-specific sender. `send` never blocks: it queues the item and calls `settle`
 * exactly once per item, preserving the order the transport needs (per partition, per
 * channel, per connection). The replayer bounds what is in flight.
 */
export interface Publisher {
  readonly transport: Transport;
  /** Connects and checks that the destinations exist; throws with a message for the user. */
  open(destinations: DestinationPlan[]): Promise<string[]>;
  send(item: ReplayItem, settle: (s: Settlement) => void): void;
  /** WebSocket: reproduce a recorded connection open or client close (not counted as a message). */
  control?(item: ReplayItem): void;
  /**
   * Gets ready to send `item` without sending it (a WebSocket handshake), so the handshake
   * overlaps the wait before the item is due instead of delaying it. Resolves when ready
   * or when getting ready failed (the send then reports the failure).
   */
  prepare?(item: ReplayItem): Promise<void>;
  /** Drops queued items that are not on the wire yet (they settle as not sent). */
  abort(): void;
  close(): Promise<void>;
  /** Things learnt while sending that the report should mention. */
  readonly notes?: string[];
  /** AMQP: messages the broker returned as unroutable so far. */
  readonly unroutable?: number;
}

export interface WsConnectionFacts {
  /** Unique per recorded connection within the session (endpoint + connection id). */
  key: string;
  /** The query string the client connected with ('' when none or unknown). */
  search: string;
  subprotocol: string | null;
}

/** A destination the replay will send to, with what the recording says about it. */
export interface DestinationPlan {
  from: string;
  to: string;
  destKind: StoredMessage['destKind'];
  /** Kafka: the highest recorded partition + 1. */
  partitions: number;
  count: number;
}
