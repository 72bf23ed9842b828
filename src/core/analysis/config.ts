import { z } from 'zod';

/**
 * Settings of the flow analysis. Every field has a default (DEFAULT_ANALYSIS_CONFIG); the
 * API layer exposes them so a user can name their own correlation header or widen a window.
 */

export interface CorrelationConfig {
  /** Header names carrying a correlation id (Kafka headers, AMQP headers), case-insensitive, first hit wins. */
  headerNames: string[];
  /** Header names naming where the reply should go (Kafka has no replyTo property). */
  replyHeaderNames: string[];
  /** Header names carrying a message id. */
  messageIdHeaderNames: string[];
  /** Use the trace id of a W3C `traceparent` header when no correlation header is present. */
  traceparent: boolean;
  /** Recognise JSON-RPC bodies: a request has `method` + `id`, a reply `result`|`error` + `id`. */
  jsonRpc: boolean;
  /** Dot paths into JSON object bodies tried after JSON-RPC, e.g. `correlationId`, `meta.requestId`. */
  jsonPaths: string[];
  /** Bodies larger than this are not parsed (speed: a 50 MB dump is not a request envelope). */
  maxJsonBytes: number;
}

export interface PairingConfig {
  /** A request with no reply this long after it (by event time) is unanswered. */
  timeoutMs: number;
  /** Replies arriving after the timeout are still recognised as late (not orphans) this long after the request. */
  lateReplyMs: number;
  /** How long after a reply a second reply with the same id counts as a duplicate rather than an orphan. */
  duplicateWindowMs: number;
  /**
   * Treat the first message carrying a correlation id as a request even when it names no
   * reply destination (Kafka request/reply without a reply header).
   */
  implicitRequests: boolean;
  /**
   * Open requests, and replies waiting for their request, kept at most (each). Beyond, the
   * oldest already timed out is decided for good, else the newcomer is (see PairBook). A
   * history read whose topics arrive far apart needs room for all that waits between them.
   */
  maxOpen: number;
  /** Pairs kept for paging (counts stay exact beyond these). */
  maxListedMatched: number;
  maxListedUnanswered: number;
  maxListedOrphans: number;
  /** Distinct destinations with their own latency figures; the rest share one row. */
  maxDestinations: number;
}

export interface UndeliveredConfig {
  /** How long a routed AMQP message may wait for a delivery before it is reported never delivered. */
  amqpWindowMs: number;
  /** How long after a Kafka record a consumer group must have committed past it. */
  kafkaWindowMs: number;
  /** Frames sent towards a side that dropped (1006) this shortly before the drop count as lost. */
  wsInFlightMs: number;
  /**
   * MQTT (recording proxy): how long a QoS 1/2 handshake may take, and how long a publish that
   * no reason code confirms may wait for a client of the proxy to receive it.
   */
  mqttWindowMs: number;
  /** Names (queues, consumer groups) starting with one of these belong to Flowscope's own taps. */
  ownPrefixes: string[];
  /** AMQP publishes waiting for deliveries kept at most; beyond, the oldest is decided early. */
  maxPendingAmqp: number;
  /** Undelivered items kept in the list (counts stay exact). */
  maxItems: number;
  /** Reason+destination groups kept; the rest share one group per reason. */
  maxGroups: number;
}

export interface TopologyConfig {
  /** Kafka/AMQP header names that identify a producer. */
  producerHeaders: string[];
  /** WebSocket connections drawn as their own client node per server path; the rest are merged. */
  maxClientsPerPath: number;
  /** Nodes kept at most; further ones are merged into one "other" node per kind. */
  maxNodes: number;
  /** Window of the recent rate, in seconds. */
  rateWindowSec: number;
}

export interface AnalysisConfig {
  correlation: CorrelationConfig;
  pairing: PairingConfig;
  undelivered: UndeliveredConfig;
  topology: TopologyConfig;
}

export const DEFAULT_ANALYSIS_CONFIG: AnalysisConfig = {
  correlation: {
    headerNames: ['correlation-id', 'x-correlation-id', 'correlationId', 'correlation_id', 'kafka_correlationId'],
    replyHeaderNames: ['reply-to', 'replyTo', 'reply_to', 'kafka_replyTopic'],
    messageIdHeaderNames: ['message-id', 'messageId', 'message_id', 'x-message-id'],
    traceparent: true,
    jsonRpc: true,
    jsonPaths: ['correlationId', 'requestId'],
    maxJsonBytes: 1024 * 1024,
  },
  pairing: {
    timeoutMs: 30_000,
    lateReplyMs: 300_000,
    duplicateWindowMs: 60_000,
    implicitRequests: true,
    maxOpen: 500_000,
    maxListedMatched: 100_000,
    maxListedUnanswered: 10_000,
    maxListedOrphans: 10_000,
    maxDestinations: 1000,
  },
  undelivered: {
    amqpWindowMs: 30_000,
    kafkaWindowMs: 30_000,
    wsInFlightMs: 1000,
    mqttWindowMs: 30_000,
    ownPrefixes: ['flowscope'],
    maxPendingAmqp: 100_000,
    maxItems: 1000,
    maxGroups: 5000,
  },
  topology: {
    producerHeaders: ['producer', 'client-id', 'clientId', 'client.id', 'app-id', 'appId', 'ce_source', 'ce-source'],
    maxClientsPerPath: 50,
    maxNodes: 2000,
    rateWindowSec: 10,
  },
};

const names = z.array(z.string().min(1).max(256)).max(50);
const ms = z.number().finite().nonnegative().max(7 * 24 * 3600_000);
const count = z.number().int().positive().max(10_000_000);

/** Validates a partial config at the API boundary; unknown keys are refused. */
export const analysisConfigSchema = z
  .object({
    correlation: z
      .object({
        headerNames: names,
        replyHeaderNames: names,
        messageIdHeaderNames: names,
        traceparent: z.boolean(),
        jsonRpc: z.boolean(),
        jsonPaths: names,
        maxJsonBytes: count,
      })
      .strict()
      .partial(),
    pairing: z
      .object({
        timeoutMs: ms,
        lateReplyMs: ms,
        duplicateWindowMs: ms,
        implicitRequests: z.boolean(),
        maxOpen: count,
        maxListedMatched: count,
        maxListedUnanswered: count,
        maxListedOrphans: count,
        maxDestinations: count,
      })
      .strict()
      .partial(),
    undelivered: z
      .object({
        amqpWindowMs: ms,
        kafkaWindowMs: ms,
        wsInFlightMs: ms,
        mqttWindowMs: ms,
        ownPrefixes: names,
        maxPendingAmqp: count,
        maxItems: count,
        maxGroups: count,
      })
      .strict()
      .partial(),
    topology: z
      .object({
        producerHeaders: names,
        maxClientsPerPath: count,
        maxNodes: count,
        rateWindowSec: z.number().int().min(1).max(3600),
      })
      .strict()
      .partial(),
  })
  .strict()
  .partial();

export type AnalysisConfigInput = z.infer<typeof analysisConfigSchema>;

/** The defaults overlaid with whatever the caller set. */
export function resolveAnalysisConfig(input: AnalysisConfigInput = {}): AnalysisConfig {
  const d = DEFAULT_ANALYSIS_CONFIG;
  return {
    correlation: { ...d.correlation, ...input.correlation },
    pairing: { ...d.pairing, ...input.pairing },
    undelivered: { ...d.undelivered, ...input.undelivered },
    topology: { ...d.topology, ...input.topology },
  };
}
