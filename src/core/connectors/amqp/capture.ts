import type { ConsumeMessage } from 'amqplib';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { exchangeLabel } from './firehose.ts';
import { mapProperties } from './properties.ts';

/** A copy from the exchange tap, recorded as the publish it witnessed. */
export function tapToCaptured(msg: ConsumeMessage, endpoint: string, time: number): CapturedMessage {
  return fromConsumed(msg, endpoint, time, 'publish', exchangeLabel(msg.fields.exchange), 'tap');
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
    brokerTime: p.brokerTime,
    transport: 'amqp',
    endpoint,
    event,
    destKind: event === 'publish' ? 'exchange' : 'queue',
    destination,
    routingKey: msg.fields.routingKey,
    // The tap cannot know the publisher; a queue consumer is identified by its tag.
    connection: event === 'deliver' ? msg.fields.consumerTag : null,
    headers: p.headers,
    properties: p.properties,
    payload: msg.content,
    correlationId: p.correlationId,
    messageId: p.messageId,
    replyTo: p.replyTo,
    meta,
  };
}
