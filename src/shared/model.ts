/**
 * The message model shared by engine, store, analysis and UI.
 *
 * A CapturedMessage is one fact observed on the wire: a record seen in a Kafka partition,
 * an AMQP publish or delivery, a WebSocket frame or connection event. Payload bytes are
 * kept exactly; everything else is metadata for filtering, pairing and display.
 */

import type { DecodedPayloadView } from './decoders.ts';

export type Transport = 'kafka' | 'amqp' | 'ws' | 'mqtt' | 'nats';

/** Every transport, in the order the UI lists them. */
export const TRANSPORTS: readonly Transport[] = ['kafka', 'amqp', 'ws', 'mqtt', 'nats'];

/**
 * What happened. WebSocket directions are named from the client's side of a connection:
 * `frame-out` travels client → server, `frame-in` travels server → client.
 */
export type MessageEventKind =
  | 'publish' // a producer handed the message to the broker (Kafka record in the log, AMQP publish)
  | 'deliver' // the broker handed it to a consumer (firehose deliver.<queue>, a queue tap)
  | 'return' // AMQP basic.return of a mandatory publish nobody could take
  | 'frame-out' // WebSocket frame client → server
  | 'frame-in' // WebSocket frame server → client
  | 'open' // WebSocket connection opened
  | 'close' // WebSocket connection closed (code and reason in meta)
  | 'error' // connection or protocol error observed on the wire
  | 'subscribe' // MQTT proxy: a client's subscription to a topic filter, as the broker granted or refused it (SUBACK)
  | 'unsubscribe' // MQTT proxy: a subscription ended (UNSUBACK)
  | 'ack'; // MQTT proxy: a step of a QoS 1/2 handshake or a CONNACK, with its reason code

export const MESSAGE_EVENTS: readonly MessageEventKind[] = [
  'publish',
  'deliver',
  'return',
  'frame-out',
  'frame-in',
  'open',
  'close',
  'error',
  'subscribe',
  'unsubscribe',
  'ack',
];

export type DestinationKind = 'topic' | 'exchange' | 'queue' | 'socket';

/** JSON value as stored in headers, properties and meta. Binary values use `{ $base64 }`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Which clock a message's event time was read from:
 * - `kafka-create`: the Kafka record timestamp, CreateTime (set by the producer);
 * - `kafka-log-append`: the Kafka record timestamp, LogAppendTime (set by the broker);
 * - `kafka-unknown`: a Kafka record timestamp of unknown type (old message format, an import without it);
 * - `amqp-timestamp`: the AMQP `timestamp` property (whole seconds), or RabbitMQ's `timestamp_in_ms` header;
 * - `capture`: Flowscope's own capture time (WebSocket, and messages without a usable stamp).
 */
export type EventTimeSource = 'kafka-create' | 'kafka-log-append' | 'kafka-unknown' | 'amqp-timestamp' | 'capture';

export const EVENT_TIME_SOURCES: readonly EventTimeSource[] = ['kafka-create', 'kafka-log-append', 'kafka-unknown', 'amqp-timestamp', 'capture'];

/** A message as a connector hands it over, before the store gives it a sequence number. */
export interface CapturedMessage {
  /** Capture time, epoch milliseconds (fractional): when Flowscope saw it. */
  time: number;
  /** The broker's own timestamp when it has one (Kafka record timestamp, AMQP timestamp property). */
  brokerTime?: number | null;
  /**
   * Event time, epoch milliseconds: when the system itself says it happened (see
   * EventTimeSource). Pairing, latency, timeouts and the timeline run on it. A connector
   * may leave it out: the store fills it from `brokerTime` and `meta.timestampType`
   * (core/common/event-time.ts).
   */
  eventTime?: number;
  eventTimeSource?: EventTimeSource;
  transport: Transport;
  /** Endpoint id inside the session (see EndpointView.id). */
  endpoint: string;
  event: MessageEventKind;
  destKind: DestinationKind;
  /** Topic, exchange (`amq.default` for the default exchange), queue or socket path. */
  destination: string;
  partition?: number | null;
  /** Kafka offset, kept as a decimal string because it is an int64. */
  offset?: string | null;
  routingKey?: string | null;
  /** Connection or producer/consumer identity: WebSocket connection id, AMQP consumer tag, Kafka client. */
  connection?: string | null;
  key?: Uint8Array | null;
  /** Kafka record headers or AMQP `headers` table; binary values as `{ $base64 }`. */
  headers?: Record<string, JsonValue> | null;
  /** AMQP basic properties other than headers (contentType, deliveryMode, expiration, …). */
  properties?: Record<string, JsonValue> | null;
  payload: Uint8Array;
  correlationId?: string | null;
  messageId?: string | null;
  replyTo?: string | null;
  /**
   * Transport-specific facts: ws `opcode` ('text'|'binary'), close `code`/`reason`, error `message`,
   * AMQP `redelivered`, `routedQueues`, `deliveryTag`, `exchange`; Kafka `timestampType`.
   */
  meta?: Record<string, JsonValue> | null;
}

/** A stored message: what the store returns. */
export interface StoredMessage extends CapturedMessage {
  seq: number;
  size: number;
}

/** The list-row view of a message: no payload bytes, a short preview instead. */
export interface MessageRow {
  seq: number;
  /** Capture time. */
  time: number;
  /** Event time (see CapturedMessage.eventTime); capture time in files written before it existed. */
  eventTime: number;
  eventTimeSource: EventTimeSource;
  transport: Transport;
  endpoint: string;
  event: MessageEventKind;
  destKind: DestinationKind;
  destination: string;
  partition: number | null;
  offset: string | null;
  routingKey: string | null;
  connection: string | null;
  key: string | null;
  size: number;
  correlationId: string | null;
  messageId: string | null;
  replyTo: string | null;
  /** First bytes of the payload decoded for a list cell (text, or hex for binary). */
  preview: string;
}

export type PayloadEncoding = 'json' | 'text' | 'binary';

/** Everything about one message, for the detail pane. */
export interface MessageDetail extends MessageRow {
  brokerTime: number | null;
  headers: Record<string, JsonValue> | null;
  properties: Record<string, JsonValue> | null;
  meta: Record<string, JsonValue> | null;
  encoding: PayloadEncoding;
  /** Pretty JSON or the text when the payload is valid UTF-8, else null. */
  text: string | null;
  /** Hex dump of the first bytes (always present, bounded). */
  hex: string;
  /** The full payload, base64, when it is below the detail size limit. */
  payloadBase64: string | null;
  truncated: boolean;
  /**
   * The payload as the session's decoders read it (Protobuf, Avro, Confluent frames,
   * MessagePack, CBOR, gzip/zstd), with the reason when they could not; null when none applies.
   */
  decoded: DecodedPayloadView | null;
  /** Other messages carrying the same correlation id (bounded). */
  related: MessageRow[];
}

/** Committed offset of a Kafka consumer group, polled during a recording. */
export interface GroupOffset {
  time: number;
  endpoint: string;
  groupId: string;
  topic: string;
  partition: number;
  /** Next offset the group will read; -1 when the group has no commit for the partition. */
  offset: string;
}

export type EndpointStatus = 'connecting' | 'recording' | 'reconnecting' | 'stopped' | 'failed';

/** Why a span of traffic is missing from a session, or was not stored as it happened. */
export type GapReason = 'disk-full' | 'write-failed' | 'disconnected';
export const GAP_REASONS: readonly GapReason[] = ['disk-full', 'write-failed', 'disconnected'];

/**
 * A span of a recording in which traffic was not (or not all) stored: the session file's
 * disk was full, or a tap's connection dropped and the broker did not keep what was
 * published meanwhile. Stored in the `gaps` table, exported as a `"type":"gap"` line.
 */
export interface Gap {
  /** Endpoint id inside the session; null when the gap is the whole session's. */
  endpoint: string | null;
  /** Epoch ms (capture clock) the gap began and ended. */
  start: number;
  end: number;
  /**
   * Messages captured in the span but never stored (dropped past the memory budget while
   * the disk was full); null when nobody can know (published while a tap was disconnected).
   */
  lost: number | null;
  reason: GapReason;
  /** The reason in words (the error, what was held in memory and stored after). */
  detail: string | null;
}
