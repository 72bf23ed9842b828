import type { GroupOffset, JsonValue, StoredMessage } from '../../src/shared/model.ts';

/**
 * Builds the messages connectors produce (shapes as in src/shared/model.ts and the
 * connectors: firehose publish/deliver, Kafka records, proxy frames), with seq numbers and
 * a clock the test moves explicitly.
 */
export class Traffic {
  messages: StoredMessage[] = [];
  offsets: GroupOffset[] = [];
  /** Messages and offset polls in the order they happened. */
  events: (StoredMessage | GroupOffset)[] = [];
  seq = 0;
  time = 1_700_000_000_000;

  /** Hands over what was built so far and starts empty (seq and clock continue). */
  drain(): { messages: StoredMessage[]; offsets: GroupOffset[]; events: (StoredMessage | GroupOffset)[] } {
    const out = { messages: this.messages, offsets: this.offsets, events: this.events };
    this.messages = [];
    this.offsets = [];
    this.events = [];
    return out;
  }

  /** Moves the clock forward by `ms`. */
  wait(ms: number): this {
    this.time += ms;
    return this;
  }

  add(m: Partial<StoredMessage> & Pick<StoredMessage, 'transport' | 'event' | 'destKind' | 'destination'>): StoredMessage {
    this.seq += 1;
    const payload = m.payload ?? new Uint8Array(0);
    const full: StoredMessage = {
      seq: this.seq,
      time: m.time ?? this.time,
      endpoint: m.endpoint ?? (m.transport === 'amqp' ? 'rabbit' : m.transport === 'kafka' ? 'kafka' : 'proxy'),
      payload,
      size: payload.byteLength,
      ...m,
    } as StoredMessage;
    full.seq = this.seq;
    this.messages.push(full);
    this.events.push(full);
    return full;
  }

  /** A firehose publish; `routed` null means the capture saw no routing (exchange tap). */
  publish(o: {
    exchange?: string;
    routingKey: string;
    body: string | object;
    props?: Record<string, JsonValue>;
    headers?: Record<string, JsonValue>;
    routed?: string[] | null;
    connection?: string;
  }): StoredMessage {
    const props = o.props ?? null;
    return this.add({
      transport: 'amqp',
      event: 'publish',
      destKind: 'exchange',
      destination: o.exchange ?? 'amq.default',
      routingKey: o.routingKey,
      payload: bytes(o.body),
      properties: props,
      headers: o.headers ?? null,
      connection: o.connection ?? '127.0.0.1:50000 -> 127.0.0.1:5672',
      correlationId: (props?.correlationId as string | undefined) ?? null,
      replyTo: (props?.replyTo as string | undefined) ?? null,
      messageId: (props?.messageId as string | undefined) ?? null,
      meta: o.routed === null ? { source: 'tap' } : { source: 'firehose', routedQueues: o.routed ?? [o.routingKey] },
    });
  }

  /** A firehose delivery of a message from `queue`. */
  deliver(o: {
    queue: string;
    routingKey?: string;
    exchange?: string;
    body: string | object;
    props?: Record<string, JsonValue>;
    headers?: Record<string, JsonValue>;
    redelivered?: boolean;
  }): StoredMessage {
    const props = o.props ?? null;
    return this.add({
      transport: 'amqp',
      event: 'deliver',
      destKind: 'queue',
      destination: o.queue,
      routingKey: o.routingKey ?? o.queue,
      payload: bytes(o.body),
      properties: props,
      headers: o.headers ?? null,
      connection: '127.0.0.1:50001 -> 127.0.0.1:5672',
      correlationId: (props?.correlationId as string | undefined) ?? null,
      replyTo: (props?.replyTo as string | undefined) ?? null,
      messageId: (props?.messageId as string | undefined) ?? null,
      meta: { source: 'firehose', exchange: o.exchange ?? 'amq.default', redelivered: o.redelivered ?? false },
    });
  }

  record(o: { topic: string; partition?: number; offset: number; body: string | object; headers?: Record<string, JsonValue>; endpoint?: string }): StoredMessage {
    return this.add({
      transport: 'kafka',
      event: 'publish',
      destKind: 'topic',
      destination: o.topic,
      partition: o.partition ?? 0,
      offset: String(o.offset),
      payload: bytes(o.body),
      headers: o.headers ?? null,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    });
  }

  commit(groupId: string, topic: string, partition: number, offset: number, endpoint = 'kafka'): GroupOffset {
    const row = { time: this.time, endpoint, groupId, topic, partition, offset: String(offset) };
    this.offsets.push(row);
    this.events.push(row);
    return row;
  }

  wsOpen(connection: string, path = '/rpc'): StoredMessage {
    return this.add({ transport: 'ws', event: 'open', destKind: 'socket', destination: path, connection, meta: { client: '127.0.0.1:40000', target: `ws://127.0.0.1:9000${path}` } });
  }

  /** Client → server frame. */
  wsOut(connection: string, body: string | object, meta: Record<string, JsonValue> = {}, path = '/rpc'): StoredMessage {
    return this.add({ transport: 'ws', event: 'frame-out', destKind: 'socket', destination: path, connection, payload: bytes(body), meta: { opcode: 'text', ...meta } });
  }

  /** Server → client frame. */
  wsIn(connection: string, body: string | object, meta: Record<string, JsonValue> = {}, path = '/rpc'): StoredMessage {
    return this.add({ transport: 'ws', event: 'frame-in', destKind: 'socket', destination: path, connection, payload: bytes(body), meta: { opcode: 'text', ...meta } });
  }

  wsClose(connection: string, code: number, by: 'client' | 'server' | 'proxy', path = '/rpc'): StoredMessage {
    return this.add({ transport: 'ws', event: 'close', destKind: 'socket', destination: path, connection, meta: { code, reason: '', by } });
  }
}

export function bytes(body: string | object): Uint8Array {
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
}

export function isOffset(e: StoredMessage | GroupOffset): e is GroupOffset {
  return 'groupId' in e;
}
