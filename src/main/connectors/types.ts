import type { CapturedMessage, EndpointStatus, GroupOffset, JsonValue } from '../../shared/model.ts';

/**
 * What a connector hands its owner. The sink is cheap to call per message: the owner
 * batches (see CaptureBuffer), so connectors never batch or throttle themselves.
 */
export interface CaptureSink {
  message(msg: CapturedMessage): void;
  /** Kafka consumer-group offsets polled during the recording. */
  offsets?(rows: GroupOffset[]): void;
  /** Connection state changes, with a human-readable explanation for failures. */
  status(status: EndpointStatus, detail?: string): void;
  /** Things the connector learned about the broker (topics, queues, bindings, groups). */
  discovery?(facts: Discovery): void;
}

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
}

export interface DiscoveredBinding {
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments?: Record<string, JsonValue>;
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
}

/**
 * One transport attachment. Connectors are plain Node classes with no Electron import.
 * `start` resolves once the tap is attempting to record; connection failures after that
 * are reported through `sink.status` and retried by the connector itself.
 */
export interface Connector {
  readonly id: string;
  readonly transport: CapturedMessage['transport'];
  start(): Promise<void>;
  /** Stops the tap, removes whatever it created on the broker, and resolves when done. */
  stop(): Promise<void>;
  discover?(): Promise<Discovery>;
}
