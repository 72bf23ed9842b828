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
