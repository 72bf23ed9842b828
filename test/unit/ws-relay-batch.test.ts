import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { RelayBatchBuilder, unpackRelayBatch } from '../../src/core/connectors/ws/relay-batch.ts';
import type { RelayBatch } from '../../src/core/connectors/ws/relay-batch.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';

// What the proxy's thread captures reaches the recording thread as the same messages: every
// field, exact payload bytes, in order, through a real message port with the buffer transferred.

const TEXT = Object.freeze({ opcode: 'text' });

function frame(i: number, extra: Partial<CapturedMessage> = {}): CapturedMessage {
  return {
    time: 1_700_000_000_000 + i * 0.25,
    transport: 'ws',
    endpoint: 'ws-proxy-1',
    event: i % 2 ? 'frame-in' : 'frame-out',
    destKind: 'socket',
    destination: '/chat ✓',
    connection: `c${1 + (i % 3)}`,
    payload: Buffer.from(`{"jsonrpc":"2.0","id":${i},"method":"ping ✓"}`),
    meta: TEXT,
    ...extra,
  };
}

function across(batch: RelayBatch): RelayBatch {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(batch, [batch.buffer]);
  const got = receiveMessageOnPort(port2)!.message as RelayBatch;
  port1.close();
  return got;
}

/** The fields a capture carries, with absent ones as null (what the store makes of either). */
function fields(m: CapturedMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['time', 'brokerTime', 'eventTime', 'eventTimeSource', 'transport', 'endpoint', 'event', 'destKind', 'destination', 'partition', 'offset', 'routingKey', 'connection', 'key', 'headers', 'properties', 'correlationId', 'messageId', 'replyTo', 'meta'] as const) {
    const v = m[k];
    out[k] = v === undefined ? null : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  }
  out.payload = Buffer.from(m.payload).toString('hex');
  return out;
}

test('a relay batch crosses a message port and unpacks into the captured messages, field for field', () => {
  const sent: CapturedMessage[] = [
    frame(0),
    frame(1, { meta: { opcode: 'binary', dropped: true }, payload: Buffer.from([0, 255, 1, 2]) }),
    frame(2, { event: 'open', payload: new Uint8Array(0), meta: { client: '127.0.0.1:5', subprotocol: null, forwardedHeaders: ['origin'] } }),
    // An MQTT publish: the rarer fields travel too.
    frame(3, {
      transport: 'mqtt',
      event: 'publish',
      destKind: 'topic',
      destination: 'sensors/1',
      key: Buffer.from('k'),
      headers: { a: 'b' },
      properties: { qos: 1 },
      correlationId: 'corr-1',
      messageId: '7',
      replyTo: 'replies/1',
      routingKey: 'rk',
      offset: '12',
      partition: 0,
      brokerTime: 1_690_000_000_000,
      eventTime: 1_690_000_000_000,
      eventTimeSource: 'capture',
    }),
    frame(4, { event: 'close', payload: new Uint8Array(0), meta: { code: 1000, reason: 'bye', by: 'client' } }),
    frame(5, { payload: Buffer.alloc(70_000, 7) }),
  ];
  const builder = new RelayBatchBuilder();
  for (const m of sent) builder.add(m);
  assert.equal(builder.count, sent.length);
  const taken = builder.take()!;
  assert.equal(builder.count, 0, 'the builder starts over after a take');
  assert.equal(builder.take(), null, 'nothing more to take');
  assert.ok(taken.cost >= sent.reduce((n, m) => n + m.payload.byteLength, 0), 'the cost covers at least the payload bytes');
  const got = unpackRelayBatch(across(taken.batch));
  assert.deepEqual(got.map(fields), sent.map(fields));
});

test('frames sharing one meta object each get their own copy after unpacking', () => {
  const builder = new RelayBatchBuilder();
  for (let i = 0; i < 3; i++) builder.add(frame(i));
  const taken = builder.take()!;
  assert.equal(taken.batch.metas.length, 1, 'the shared meta travels once');
  const got = unpackRelayBatch(across(taken.batch));
  assert.deepEqual(got.map((m) => m.meta), [TEXT, TEXT, TEXT]);
  assert.notEqual(got[0]!.meta, got[1]!.meta);
});
