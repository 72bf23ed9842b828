import type { Message } from 'amqplib';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { mapTraceProperties } from './properties.ts';

/**
 * The RabbitMQ firehose tracer (https://www.rabbitmq.com/docs/firehose). When tracing is on
 * for a vhost (`rabbitmqctl trace_on -p <vhost>`; off again with `trace_off`), the broker
 * publishes a copy of every publish and every delivery in that vhost to the topic exchange
 * `amq.rabbitmq.trace`, with routing key `publish.<exchange>` or `deliver.<queue>`. The
 * copy's headers carry `exchange_name`, `routing_keys`, the original `properties` table,
 * `connection`, `channel`, `user`, `node`, and `routed_queues` (publish) or `redelivered`
 * (deliver). Tracing does not change routing, so `routed_queues` is the real fan-out of a
 * publish: an empty list means the message was unroutable and dropped (or returned).
 *
 * Cost: every traced event is a full copy of the message, so the broker does one extra
 * publish per publish and one per delivery, and a tap queue's own deliveries are traced too.
 */

/** Queue name prefixes Flowscope uses; their traffic is ours, not the application's. */
export const TAP_QUEUE_PREFIX = 'flowscope.tap.';
export const TRACE_QUEUE_PREFIX = 'flowscope.trace.';
/** Routing key prefix of the probe publish that tells whether tracing is on. */
export const PROBE_KEY_PREFIX = 'flowscope.probe.';

export function isOwnQueue(name: string): boolean {
  return name.startsWith(TAP_QUEUE_PREFIX) || name.startsWith(TRACE_QUEUE_PREFIX);
}

export interface TraceEvent {
  kind: 'publish' | 'deliver';
  /** Exchange the message was published to; '' for the default exchange. */
  exchange: string;
  /** Queue delivered from (deliver events only). */
  queue: string | null;
  routingKeys: string[];
  /** Routed queues minus Flowscope's own tap queues (publish events only). */
  routedQueues: string[] | null;
  /** Whether this connector's tap queue was among the routed queues: the tap gets a copy too. */
  reachedTap: boolean;
  redelivered: boolean | null;
  connection: string | null;
  channel: number | null;
  user: string | null;
}

/** Reads a trace message's envelope; null for something that is not a trace event. */
export function parseTrace(msg: Message, ownTapQueue: string | null): TraceEvent | null {
  const rk = msg.fields.routingKey;
  const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
  let kind: TraceEvent['kind'];
  let queue: string | null = null;
  if (rk.startsWith('publish.')) kind = 'publish';
  else if (rk.startsWith('deliver.')) {
    kind = 'deliver';
    queue = rk.slice('deliver.'.length);
  } else return null;
  const exchange = typeof h.exchange_name === 'string' ? h.exchange_name : kind === 'publish' ? rk.slice(8) : '';
  const routingKeys = Array.isArray(h.routing_keys) ? h.routing_keys.map(String) : [];
  let routedQueues: string[] | null = null;
  let reachedTap = false;
  if (Array.isArray(h.routed_queues)) {
    const all = h.routed_queues.map(String);
    reachedTap = ownTapQueue !== null && all.includes(ownTapQueue);
    routedQueues = all.filter((q) => !isOwnQueue(q));
  }
  return {
    kind,
    exchange,
    queue,
    routingKeys,
    routedQueues,
    reachedTap,
    redelivered: h.redelivered === undefined ? null : Boolean(h.redelivered),
    connection: typeof h.connection === 'string' ? h.connection : null,
    channel: typeof h.channel === 'number' ? h.channel : null,
    user: typeof h.user === 'string' ? h.user : null,
  };
}

export function exchangeLabel(exchange: string): string {
  return exchange === '' ? 'amq.default' : exchange;
}

/** The captured form of a trace event: the original message with its delivery facts. */
export function traceToCaptured(ev: TraceEvent, msg: Message, endpoint: string, time: number): CapturedMessage {
  const p = mapTraceProperties((msg.properties.headers as Record<string, unknown> | undefined)?.properties);
  const meta: Record<string, JsonValue> = { source: 'firehose', exchange: exchangeLabel(ev.exchange) };
  if (ev.routingKeys.length > 1) meta.routingKeys = ev.routingKeys; // CC / BCC
  if (ev.kind === 'publish') meta.routedQueues = ev.routedQueues ?? [];
  if (ev.redelivered !== null) meta.redelivered = ev.redelivered;
  if (ev.user) meta.user = ev.user;
  if (ev.channel !== null) meta.channel = ev.channel;
  return {
    time,
    // The mapped AMQP properties: headers, the rest, correlation facts and the broker's stamp.
    ...p,
    transport: 'amqp',
    endpoint,
    event: ev.kind,
    destKind: ev.kind === 'publish' ? 'exchange' : 'queue',
    destination: ev.kind === 'publish' ? exchangeLabel(ev.exchange) : (ev.queue ?? ''),
    routingKey: ev.routingKeys[0] ?? null,
    connection: ev.connection,
    payload: msg.content,
    meta,
  };
}
