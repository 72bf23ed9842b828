import type { CapturedMessage, EndpointStatus, Gap, GroupOffset } from '../../shared/model.ts';
import type { Discovery } from '../../shared/discovery.ts';

/**
 * What a connector hands its owner. The sink is cheap to call per message: the owner
 * batches (see engine/traffic-batcher.ts), so connectors never batch or throttle themselves.
 */
export interface CaptureSink {
  message(msg: CapturedMessage): void;
  /** Kafka consumer-group offsets polled during the recording. */
  offsets?(rows: GroupOffset[]): void;
  /** Connection state changes, with a human-readable explanation for failures. */
  status(status: EndpointStatus, detail?: string): void;
  /** Things the connector learned about the broker (topics, queues, bindings, groups). */
  discovery?(facts: Discovery): void;
  /**
   * Null when the owner can take more now; otherwise a promise that resolves once it has
   * caught up. A connector that can pause its source (a Kafka fetch) waits for it, so a
   * catch-up runs at the store's pace instead of filling memory; others ignore it.
   */
  ready?(): Promise<void> | null;
  /** A span whose traffic this endpoint could not record (a connection drop the broker did not buffer). */
  gap?(gap: Omit<Gap, 'endpoint'>): void;
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
  /**
   * Stops reading while the session file cannot be written, where the broker keeps what is
   * not read (Kafka: the consumer pauses and resumes from its offset, so nothing is lost).
   */
  pause?(): void;
  resume?(): void;
}
