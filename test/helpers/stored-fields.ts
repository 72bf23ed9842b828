import type { StoredMessage } from '../../src/shared/model.ts';

/** A stored message's fields as a reader gives them, the record key aside (the analysis's pages leave it out). */
export function fields(m: StoredMessage): Record<string, unknown> {
  return {
    seq: m.seq,
    time: m.time,
    brokerTime: m.brokerTime,
    eventTime: m.eventTime,
    eventTimeSource: m.eventTimeSource,
    transport: m.transport,
    endpoint: m.endpoint,
    event: m.event,
    destKind: m.destKind,
    destination: m.destination,
    partition: m.partition,
    offset: m.offset,
    routingKey: m.routingKey,
    connection: m.connection,
    headers: m.headers,
    properties: m.properties,
    payload: [...m.payload],
    size: m.size,
    correlationId: m.correlationId,
    messageId: m.messageId,
    replyTo: m.replyTo,
    meta: m.meta,
  };
}
