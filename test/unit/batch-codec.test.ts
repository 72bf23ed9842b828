import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packBatch, unpackParams } from '../../src/core/store/batch-codec.ts';
import { toParams } from '../../src/core/store/rows.ts';
import type { StoredMessage } from '../../src/shared/model.ts';

// The batch sent to the store's writer thread unpacks into exactly the INSERT parameters the
// same messages get on the engine's thread (rows.ts toParams): what a recording stores does
// not depend on which thread wrote it.

function stored(i: number, extra: Partial<StoredMessage>): StoredMessage {
  const payload = Buffer.from(`payload ${i} ✓`);
  return {
    seq: i + 1,
    time: 1_700_000_000_000 + i * 0.5,
    eventTime: 1_690_000_000_000 + i,
    eventTimeSource: 'broker-create',
    transport: 'kafka',
    endpoint: 'kafka-1',
    event: 'publish',
    destKind: 'topic',
    destination: i % 2 ? 'orders' : 'payments ✓',
    partition: i % 3,
    offset: String(i),
    payload,
    size: payload.byteLength,
    meta: {},
    ...extra,
  } as StoredMessage;
}

test('a packed batch unpacks into the parameters toParams gives, field for field', () => {
  const msgs: StoredMessage[] = [
    stored(0, {}),
    stored(1, { meta: null, key: Buffer.from('k-1'), brokerTime: 1_690_000_000_001 }),
    stored(2, { offset: '9223372036854775807', key: Buffer.alloc(0) }),
    stored(3, { offset: '007', headers: { a: 'b', n: ['1', '2'], bin: { $base64: 'AAE=' } }, meta: { timestampType: 'CreateTime' } }),
    stored(4, {
      transport: 'amqp',
      event: 'deliver',
      destKind: 'queue',
      destination: 'q',
      partition: null,
      offset: null,
      routingKey: 'rk.1',
      properties: { correlationId: 'c-1', headers: { x: 1 } },
      correlationId: 'c-1',
      messageId: 'm-1',
      replyTo: 'amq.rabbitmq.reply-to',
      payload: Buffer.alloc(0),
    }),
    stored(5, { transport: 'ws', event: 'frame-in', destKind: 'socket', destination: '/rpc', connection: 'conn-1', partition: null, offset: null, meta: { opcode: 1 } }),
  ];
  const expected = msgs.map((m) => toParams(m.seq, m));
  const got = [...unpackParams(packBatch(msgs).buffer)];
  assert.equal(got.length, msgs.length);
  for (let i = 0; i < msgs.length; i++) assert.deepEqual(got[i], expected[i], `message ${i}`);
  // A file of schema 3: the hashes of key and correlation id follow, made on the writer thread.
  const hashed = [...unpackParams(packBatch(msgs).buffer, true)];
  for (let i = 0; i < msgs.length; i++) assert.deepEqual(hashed[i], toParams(msgs[i]!.seq, msgs[i]!, true), `message ${i}, hashed`);
});

test('an empty batch and a large one pack and unpack', () => {
  assert.deepEqual([...unpackParams(packBatch([]).buffer)], []);
  const many = Array.from({ length: 5000 }, (_, i) => stored(i, { key: Buffer.from(`key-${i % 7}`) }));
  const packed = packBatch(many);
  assert.deepEqual([packed.firstSeq, packed.lastSeq, packed.count], [1, 5000, 5000]);
  const got = [...unpackParams(packed.buffer)];
  assert.deepEqual(got[4321], toParams(4322, many[4321]!));
});

test('runs of one meta object and one endpoint, broken by others, keep each message its own fields', () => {
  // The packer writes a meta (by reference) or string field it saw just before without
  // interning it again: a run must end exactly where the value changes.
  const shared = Object.freeze({ timestampType: 'CreateTime' });
  const other = Object.freeze({ timestampType: 'LogAppendTime', transactional: true });
  const metas = [shared, shared, other, shared, null, null, shared, { timestampType: 'CreateTime', tombstone: true }, shared];
  const endpoints = ['kafka-1', 'kafka-1', 'kafka-2', 'kafka-1', 'kafka-1', 'kafka-2', 'kafka-2', 'kafka-1', 'kafka-1'];
  // A proxy's connections, interned like the other names: runs, a null between, one that comes back.
  const connections = ['c1', 'c1', null, 'c2', 'c2', 'c1', null, null, 'c3'];
  const msgs = metas.map((meta, i) =>
    stored(i, {
      meta,
      endpoint: endpoints[i]!,
      connection: connections[i]!,
      eventTimeSource: i % 3 ? 'kafka-create' : 'capture',
      destination: i === 4 ? 'x' : 'orders',
    }),
  );
  const got = [...unpackParams(packBatch(msgs).buffer)];
  for (let i = 0; i < msgs.length; i++) assert.deepEqual(got[i], toParams(msgs[i]!.seq, msgs[i]!), `message ${i}`);
  assert.deepEqual(
    got.map((p) => p[22]),
    ['{"timestampType":"CreateTime"}', '{"timestampType":"CreateTime"}', '{"timestampType":"LogAppendTime","transactional":true}', '{"timestampType":"CreateTime"}', null, null, '{"timestampType":"CreateTime"}', '{"timestampType":"CreateTime","tombstone":true}', '{"timestampType":"CreateTime"}'],
  );
  assert.deepEqual(got.map((p) => p[6]), endpoints);
  assert.deepEqual(got.map((p) => p[13]), connections);
});
