import type { CapturedMessage, EventTimeSource, JsonValue } from '../../shared/model.ts';

/**
 * Event time: the moment the system itself gave a message, beside Flowscope's capture time.
 *
 * - Kafka: the record timestamp with its type (CreateTime from the producer, LogAppendTime
 *   from the broker; the type is bit 3 of the record batch attributes, which kafkajs reads
 *   into `batchContext.timestampType`). A history read with `--from-beginning` thus keeps
 *   the times the records were written, not the seconds in which they were read.
 * - AMQP: a publish seen late carries its `timestamp` property (or RabbitMQ's
 *   `timestamp_in_ms` header). The property has whole seconds and is the publisher's claim,
 *   while Flowscope's taps see publishes and deliveries as the broker makes them (the
 *   firehose reports each as it happens). So capture time, finer and on one clock, stands
 *   for the event whenever it agrees with the stamp; the stamp wins only when the capture
 *   came clearly later (the message was held before Flowscope saw it). Deliveries and
 *   returns happen when they are seen.
 * - WebSocket, and anything without a usable stamp: capture time.
 */
export interface EventTime {
  eventTime: number;
  eventTimeSource: EventTimeSource;
}

/** How far capture may trail a whole-second AMQP stamp (its resolution plus clock skew) and still be the same moment. */
const AMQP_STAMP_SLACK_MS = 1000 + 2000;

/**
 * The last millisecond of year 9999: a stamp past it (a producer may set any 64-bit Kafka
 * timestamp) is not a time, and would stretch every timeline and window; capture time stands in.
 */
const LATEST_PLAUSIBLE_MS = 253_402_300_799_999;

const KAFKA_TYPES: Record<string, EventTimeSource | undefined> = { CreateTime: 'kafka-create', LogAppendTime: 'kafka-log-append' };

/** Whether a broker's stamp can stand for an event time (set, positive, before year 10000). */
export function plausibleStamp(stamp: number | null | undefined): stamp is number {
  return stamp !== null && stamp !== undefined && Number.isFinite(stamp) && stamp > 0 && stamp <= LATEST_PLAUSIBLE_MS;
}

/** The event time source of a plausible Kafka record timestamp of type `type` (meta.timestampType). */
export function kafkaStampSource(type: JsonValue | undefined): EventTimeSource {
  return (typeof type === 'string' && KAFKA_TYPES[type]) || 'kafka-unknown';
}

/** The event time of a message from what it carries (its own `eventTime` when already set). */
export function resolveEventTime(m: CapturedMessage): EventTime {
  if (m.eventTime !== undefined && Number.isFinite(m.eventTime)) {
    return { eventTime: m.eventTime, eventTimeSource: m.eventTimeSource ?? 'capture' };
  }
  const stamp = m.brokerTime;
  const capture = { eventTime: m.time, eventTimeSource: 'capture' as const };
  if (!plausibleStamp(stamp)) return capture;
  if (m.transport === 'kafka') return { eventTime: stamp, eventTimeSource: kafkaStampSource(m.meta?.timestampType) };
  if (m.transport === 'amqp' && m.event === 'publish') {
    const wholeSecond = stamp % 1000 === 0;
    const late = m.time - stamp > (wholeSecond ? AMQP_STAMP_SLACK_MS : AMQP_STAMP_SLACK_MS - 1000);
    return late ? { eventTime: stamp, eventTimeSource: 'amqp-timestamp' } : capture;
  }
  return capture;
}

/** Fills `eventTime` and `eventTimeSource` in place where a connector left them out. */
export function stampEventTime(m: CapturedMessage): void {
  if (m.eventTime !== undefined && m.eventTimeSource !== undefined) return;
  const e = resolveEventTime(m);
  m.eventTime = e.eventTime;
  m.eventTimeSource = e.eventTimeSource;
}

/** A message's event time (resolved when the message does not carry it yet). */
export function eventTimeOf(m: CapturedMessage): number {
  return m.eventTime !== undefined ? m.eventTime : resolveEventTime(m).eventTime;
}
