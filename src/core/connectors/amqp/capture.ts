import type { ConsumeMessage } from 'amqplib';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { exchangeLabel } from './firehose.ts';
import { mapProperties } from './properties.ts';

/** A copy from the exchange tap, recorded as the publish it witnessed. */
export function tapToCaptured(msg: ConsumeMessage, endpoint: string, time: number): CapturedMessage {
  return fromConsumed(msg, endpoint, time, 'publish', exchangeLabel(msg.fields.exchange), 'tap');
}

/**
 * A dead-lettered copy seen through a tap of its dead-letter exchange: recorded as the
 * broker's publish of it to that exchange (`source: 'dead-letter'`), with the queues the
 * exchange routes it to when the management API's bindings tell.
 */
export function deadLetterToCaptured(msg: ConsumeMessage, endpoint: string, time: number, queues: string[] | null): CapturedMessage {
  const m = fromConsumed(msg, endpoint, time, 'publish', exchangeLabel(msg.fields.exchange), 'dead-letter');
  if (queues) m.meta!.deadLetterQueues = queues;
  return m;
}

/** Whether RabbitMQ dead-lettered this message at least once (it carries `x-death`). */
export function isDeadLettered(msg: ConsumeMessage): boolean {
  const xd = (msg.properties.headers as Record<string, unknown> | undefined)?.['x-death'];
  return Array.isArray(xd) && xd.length > 0;
}

/** A message Flowscope consumed from an application queue (queue consumer mode). */
export function consumedToCaptured(queue: string, msg: ConsumeMessage, endpoint: string, time: number): CapturedMessage {
  return fromConsumed(msg, endpoint, time, 'deliver', queue, 'consumer');
}

function fromConsumed(
  msg: ConsumeMessage,
  endpoint: string,
  time: number,
  event: 'publish' | 'deliver',
  destination: string,
  source: string,
): CapturedMessage {
  const p = mapProperties(msg.properties as unknown as Record<string, unknown>);
  const meta: Record<string, JsonValue> = {
    source,
    exchange: exchangeLabel(msg.fields.exchange),
    redelivered: msg.fields.redelivered,
    deliveryTag: msg.fields.deliveryTag,
  };
  if (event === 'deliver') meta.consumerTag = msg.fields.consumerTag;
  return {
    time,
    // The mapped AMQP properties: headers, the rest, correlation facts and the broker's stamp.
    ...p,
    transport: 'amqp',
    endpoint,
    event,
    destKind: event === 'publish' ? 'exchange' : 'queue',
    destination,
    routingKey: msg.fields.routingKey,
    // The tap cannot know the publisher; a queue consumer is identified by its tag.
    connection: event === 'deliver' ? msg.fields.consumerTag : null,
    payload: msg.content,
    meta,
  };
}
