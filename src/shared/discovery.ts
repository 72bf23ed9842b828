import type { JsonValue } from './model.ts';

/** What connectors learn about a broker: topics, groups, exchanges, queues and bindings. */
export interface DiscoveredTopic {
  name: string;
  partitions: { partition: number; highWatermark: string; lowWatermark?: string }[];
}

export interface DiscoveredGroup {
  groupId: string;
  state?: string;
  /** Committed offsets per topic partition. */
  offsets: { topic: string; partition: number; offset: string }[];
}

export interface DiscoveredExchange {
  name: string;
  type: string;
  durable?: boolean;
}

export interface DiscoveredQueue {
  name: string;
  messages?: number;
  consumers?: number;
  /** RabbitMQ queue type: classic, quorum or stream. */
  type?: string;
  /** The queue's own x-arguments as declared. */
  arguments?: Record<string, JsonValue>;
  /** Name of the policy that applies to it, if any. */
  policy?: string;
  /** What the broker does with messages that leave this queue unconsumed (arguments and policies merged). */
  limits?: QueueLimits;
}

/**
 * A queue's effective dead-lettering and limits. A queue argument wins over a policy for
 * the dead-letter exchange, its routing key and the overflow behaviour; for the numeric
 * limits the lower value applies (https://www.rabbitmq.com/docs/parameters#policies).
 */
export interface QueueLimits {
  /** Where expired, rejected and overflowing messages go; '' is the default exchange. */
  deadLetterExchange?: string;
  /** Routing key dead-lettered messages get; without it they keep their own. */
  deadLetterRoutingKey?: string;
  messageTtlMs?: number;
  maxLength?: number;
  maxLengthBytes?: number;
  /** drop-head (default), reject-publish or reject-publish-dlx. */
  overflow?: string;
  /** Quorum queues: deliveries after which a message is dropped or dead-lettered. */
  deliveryLimit?: number;
}

export interface DiscoveredBinding {
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments?: Record<string, JsonValue>;
}

/** A NATS JetStream stream and its consumers, from the JetStream API. */
export interface DiscoveredStream {
  name: string;
  subjects: string[];
  /** Messages stored now. */
  messages: number;
  firstSeq: number;
  lastSeq: number;
  consumers: DiscoveredConsumer[];
}

export interface DiscoveredConsumer {
  name: string;
  /** Deliveries allowed per message (-1: unlimited). */
  maxDeliver: number;
  /** Messages not yet delivered to it. */
  pending: number;
  /** Delivered and waiting for an ack. */
  ackPending: number;
  redelivered: number;
}

/** A snapshot of what exists on an endpoint; any field may be missing when unknown. */
export interface Discovery {
  endpoint: string;
  time: number;
  /** Where the facts came from, e.g. 'admin', 'management-api', 'firehose'. */
  source: string;
  topics?: DiscoveredTopic[];
  groups?: DiscoveredGroup[];
  exchanges?: DiscoveredExchange[];
  queues?: DiscoveredQueue[];
  bindings?: DiscoveredBinding[];
  streams?: DiscoveredStream[];
}
